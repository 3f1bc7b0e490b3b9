package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cgrun/cgrun/csidriver"
)

// k8sObject is what the checks read of a manifest's object.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Provisioner          string            `yaml:"provisioner"`
	Driver               string            `yaml:"driver"`
	Parameters           map[string]string `yaml:"parameters"`
	AllowVolumeExpansion bool              `yaml:"allowVolumeExpansion"`
	Spec                 struct {
		AttachRequired *bool `yaml:"attachRequired"`
		Template       struct {
			Spec struct {
				ServiceAccountName string `yaml:"serviceAccountName"`
				Containers         []struct {
					Name         string   `yaml:"name"`
					Image        string   `yaml:"image"`
					Args         []string `yaml:"args"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name string `yaml:"name"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
	Subjects []struct {
		Name string `yaml:"name"`
	} `yaml:"subjects"`
}

// TestKubernetesManifests checks deploy/kubernetes offline, as far as no
// cluster is needed: every document parses; the driver, StorageClass and
// VolumeSnapshotClass name cgrun's driver; the cgrun containers' arguments
// are flags `cgrun csi` has, with values it accepts; every sidecar talks
// to the socket the plugin serves, on a volume the pod has; every service
// account a pod or binding names exists; every StorageClass parameter is
// one CreateVolume takes.
func TestKubernetesManifests(t *testing.T) {
	files, err := filepath.Glob("../../deploy/kubernetes/*.yaml")
	if err != nil || len(files) < 6 {
		t.Fatalf("manifests: %v %v", files, err)
	}
	var objs []k8sObject
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o k8sObject
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" || o.Metadata.Name == "" {
				t.Fatalf("%s: an object without kind or name", f)
			}
			objs = append(objs, o)
		}
	}
	kinds := map[string]int{}
	accounts := map[string]bool{}
	for _, o := range objs {
		kinds[o.Kind]++
		if o.Kind == "ServiceAccount" {
			accounts[o.Metadata.Name] = true
		}
	}
	for _, k := range []string{"CSIDriver", "Deployment", "DaemonSet", "StorageClass", "VolumeSnapshotClass", "ClusterRole", "ClusterRoleBinding", "ServiceAccount", "Namespace"} {
		if kinds[k] == 0 {
			t.Errorf("no %s", k)
		}
	}
	csiFlags := map[string]bool{}
	for _, f := range csiCommand().Flags {
		csiFlags[f.Names()[0]] = true
	}
	for _, o := range objs {
		switch o.Kind {
		case "CSIDriver":
			if o.Metadata.Name != csidriver.DriverName || o.Spec.AttachRequired == nil || !*o.Spec.AttachRequired {
				t.Errorf("CSIDriver %s, attachRequired %v: want %s, true (ControllerPublish masks the LUN)", o.Metadata.Name, o.Spec.AttachRequired, csidriver.DriverName)
			}
		case "StorageClass":
			if o.Provisioner != csidriver.DriverName || !o.AllowVolumeExpansion {
				t.Errorf("StorageClass %s: provisioner %q, expansion %t", o.Metadata.Name, o.Provisioner, o.AllowVolumeExpansion)
			}
			for k := range o.Parameters {
				if k != "provisioner" && !strings.HasPrefix(k, "csi.storage.k8s.io/") {
					t.Errorf("StorageClass parameter %q: CreateVolume refuses it", k)
				}
			}
		case "VolumeSnapshotClass":
			if o.Driver != csidriver.DriverName {
				t.Errorf("VolumeSnapshotClass driver %q", o.Driver)
			}
		case "ClusterRoleBinding":
			for _, s := range o.Subjects {
				if !accounts[s.Name] {
					t.Errorf("binding %s names service account %s, which no manifest makes", o.Metadata.Name, s.Name)
				}
			}
		case "Deployment", "DaemonSet":
			checkPod(t, o, accounts, csiFlags)
		}
	}
}

func checkPod(t *testing.T, o k8sObject, accounts, csiFlags map[string]bool) {
	t.Helper()
	pod := o.Spec.Template.Spec
	if !accounts[pod.ServiceAccountName] {
		t.Errorf("%s: service account %q is made by no manifest", o.Metadata.Name, pod.ServiceAccountName)
	}
	var vols []string
	for _, v := range pod.Volumes {
		vols = append(vols, v.Name)
	}
	socket := ""
	for _, c := range pod.Containers {
		for _, m := range c.VolumeMounts {
			if !slices.Contains(vols, m.Name) {
				t.Errorf("%s/%s mounts volume %s, which the pod has not", o.Metadata.Name, c.Name, m.Name)
			}
		}
		if c.Name != "cgrun" {
			continue
		}
		if len(c.Args) == 0 || c.Args[0] != "csi" {
			t.Fatalf("%s: the cgrun container runs %v, want csi", o.Metadata.Name, c.Args)
		}
		for _, a := range c.Args[1:] {
			name, val, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
			if !csiFlags[name] {
				t.Errorf("%s: cgrun csi has no flag --%s", o.Metadata.Name, name)
			}
			if name == "endpoint" {
				_, socket, _ = csidriver.ParseEndpoint(val)
			}
			if name == "mode" && val != "controller" && val != "node" {
				t.Errorf("%s: --mode=%s", o.Metadata.Name, val)
			}
		}
	}
	if socket == "" {
		t.Fatalf("%s: the cgrun container gives no --endpoint", o.Metadata.Name)
	}
	sidecars := 0
	for _, c := range pod.Containers {
		if c.Name == "cgrun" {
			continue
		}
		sidecars++
		if !slices.Contains(c.Args, "--csi-address="+socket) {
			t.Errorf("%s/%s: args %v, want --csi-address=%s", o.Metadata.Name, c.Name, c.Args, socket)
		}
	}
	want := map[string]int{"Deployment": 4, "DaemonSet": 2}[o.Kind]
	if sidecars != want {
		t.Errorf("%s: %d sidecars, want %d", o.Metadata.Name, sidecars, want)
	}
}
