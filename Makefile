# cgrun build and test entry points. `make demo` runs cgrun's main job on a
# fresh Debian machine; `make test` runs every test this machine supports.
SHELL := /bin/bash
GO ?= go
BIN := bin/cgrun
# the containers' init (cmd/cgrun-init), installed beside cgrun
INIT_BIN := bin/cgrun-init
# what reaches registries (login, logout, pulls), installed beside cgrun:
# the same command built with the registry and signature code, which
# bin/cgrun leaves out (the tag cgrun_registry_helper)
REG_BIN := bin/cgrun-registry
BUILD := build
export CGO_ENABLED := 1
# Every go command builds with libcontainer's seccomp support (libseccomp,
# cgo): containers get a seccomp profile, which a binary without it refuses.
# containers_image_openpgp: containers/image's signature checks in pure Go
# (golang.org/x/crypto's OpenPGP) instead of gpgme through cgo.
TAGS := seccomp,containers_image_openpgp
export GOFLAGS := -tags=$(TAGS)

# Debian packages the build, the tests and the VM lane need. `make deps`
# installs the missing ones (root, apt).
DEB_PACKAGES := gcc libc6-dev make runc busybox-static stress util-linux mount e2fsprogs xfsprogs jq skopeo
# image trust tests: GPG keys that skopeo signs with
DEB_PACKAGES += gnupg
# libcontainer's seccomp support (cgo, the seccomp build tag)
DEB_PACKAGES += libseccomp-dev
# containers/image's signature package without containers_image_openpgp
# (a plain `go vet ./...` or `go build`, without the Makefile's GOFLAGS)
# uses gpgme through cgo: with its headers plain go commands work too
DEB_PACKAGES += libgpgme-dev
# networks: the CNI plugins, iptables they drive, curl for the tests' HTTP client
DEB_PACKAGES += containernetworking-plugins iptables curl
# --init: a static init bound into containers
DEB_PACKAGES += tini
# the VM lane (integration/vmlane): QEMU, Debian's kernel, kernel iSCSI tools
DEB_PACKAGES += qemu-system-x86 linux-image-amd64 cpio gzip xz-utils zstd kmod udev iproute2 tgt open-iscsi
# multipath volumes: the host's multipath stack (the VM lane starts multipathd)
DEB_PACKAGES += multipath-tools
# thin volumes (expansion, snapshots): LVM thin pools, served by LIO's block backstore
DEB_PACKAGES += lvm2 thin-provisioning-tools

.PHONY: all build image deps embedder lint test test-unit test-fuzz test-integration test-vm bench bench-vm demo clean

all: build

build: $(BIN) $(INIT_BIN) $(REG_BIN)

# urfave_cli_no_docs: without cli's man/markdown generators, whose package
# inits (blackfriday) every cgrun process and every container's init paid.
# cgrun_registry_helper: containers/image (registries, credentials, the
# signature policy) stays in $(REG_BIN); its package inits and page faults
# were half of every cgrun process's start.
CGRUN_SRC := $(shell find cmd spec blkio cgroup volume csidriver container image internal logs network runner shim \( -name '*.go' -not -name '*_test.go' \) -o -name '*.[ch]' 2>/dev/null) go.mod go.sum
$(BIN): $(CGRUN_SRC)
	@mkdir -p bin
	$(GO) build -buildvcs=auto -trimpath -tags urfave_cli_no_docs,$(TAGS),cgrun_registry_helper -o $@ ./cmd/cgrun

$(REG_BIN): $(CGRUN_SRC)
	@mkdir -p bin
	$(GO) build -buildvcs=auto -trimpath -tags urfave_cli_no_docs,$(TAGS) -o $@ ./cmd/cgrun

# libcontainer's init alone: cgrun executes it in place of itself as every
# container's init when it lies beside cgrun (package container/initexec).
# Static, as runc's releases are (libseccomp.a from libseccomp-dev; netgo and
# osusergo keep glibc's NSS out): no dynamic loader in any container's start.
$(INIT_BIN): $(shell find cmd/cgrun-init container/initexec container/seccompcache internal/beside -name '*.go' -not -name '*_test.go' -o -name '*.[ch]' 2>/dev/null) go.mod go.sum
	@mkdir -p bin
	$(GO) build -buildvcs=auto -trimpath -tags $(TAGS),netgo,osusergo -ldflags '-s -w -extldflags=-static' -o $@ ./cmd/cgrun-init

deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "make deps: root is needed to install$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test: deps build lint test-unit test-fuzz test-integration test-vm

# The house-keeping that keeps the house honest: vet, go.mod and go.sum
# tidy (the project's and the embedder test program's), staticcheck at a
# pinned version (go run fetches it through the module proxy once).
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
EMBEDDER := integration/embedder
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags $(TAGS),cgrun_registry_helper ./cmd/cgrun
	env -u GOFLAGS $(GO) vet ./...
	$(GO) mod tidy -diff
	cd $(EMBEDDER) && $(GO) vet ./... && $(GO) mod tidy -diff
	$(GO) run $(STATICCHECK) -tags $(TAGS) ./...
	$(GO) run $(STATICCHECK) -tags $(TAGS),cgrun_registry_helper ./cmd/cgrun
	cd $(EMBEDDER) && $(GO) run $(STATICCHECK) -tags $(TAGS) ./...

# Unit tests; the runner's godoc examples run containers from the test
# image as root.
test-unit: image
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /integration)

# Fuzz smoke: every fuzz target mutates its parser for FUZZTIME executions
# (a count, not a duration: a duration's deadline can end a worker while it
# minimizes a new input, which go test reports as "context deadline
# exceeded"; the seed corpora already run as plain tests in test-unit).
FUZZTIME ?= 20000x
FUZZ_PKGS := ./spec ./blkio ./cmd/cgrun ./image ./volume ./network ./container ./container/seccompcache
test-fuzz:
	@mkdir -p $(BUILD)
	@for pkg in $(FUZZ_PKGS); do for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
		echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -parallel 2 $$pkg >$(BUILD)/fuzz.log 2>&1 || { cat $(BUILD)/fuzz.log; exit 1; }; \
	done; done

test-integration: build image
	@mkdir -p $(BUILD)
	CGRUN_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -p 1 -v -timeout 20m ./integration/... 2>&1 | tee $(BUILD)/integration.log | grep -E '^(=== RUN|--- |    |PASS|FAIL|ok|panic)' ; exit $${PIPESTATUS[0]}

# The cgroup v2 lane: boots Debian's kernel once under QEMU (TCG) and runs the
# integration test binaries and the runner's examples inside on unified
# cgroup2 with kernel iSCSI. The embedder's programs are built here first.
# VM_TESTRUN=REGEXP selects tests (e.g. make test-vm VM_TESTRUN=TestVolume).
# VM_TIMEOUT bounds the whole VM: the lane takes about 18 minutes under
# emulation on this project's 2-core machines.
test-vm: build image embedder
	CGRUN_BIN=$(CURDIR)/$(BIN) CGRUN_EMBEDDER_BINDIR=$(CURDIR)/$(BUILD)/embedder GO=$(GO) VM_TIMEOUT=$(or $(VM_TIMEOUT),1500) \
		integration/vmlane/vmlane.sh $(BUILD)/vm ./integration/... ./runner

# The embedder's programs (their own module, importing cgrun's library
# through a replace directive), for the VM lane; the host lane's test
# builds them itself.
embedder:
	@mkdir -p $(BUILD)/embedder
	cd $(EMBEDDER) && $(GO) build -o $(CURDIR)/$(BUILD)/embedder/embedder . && $(GO) build -o $(CURDIR)/$(BUILD)/embedder/release ./release

# The test image: busybox (static) and stress with its libraries, from the
# installed Debian packages (busybox-static, stress).
TESTIMAGE := $(BUILD)/testimage/rootfs
TESTIMAGE_OCI := $(BUILD)/testimage/oci
image: $(TESTIMAGE) $(TESTIMAGE_OCI)/index.json
$(TESTIMAGE): integration/testimage/mkrootfs.sh integration/testimage/sysprobe.c
	@mkdir -p $(dir $@)
	integration/testimage/mkrootfs.sh $@

# The same image as an OCI layout (oci:build/testimage/oci:latest), written
# by cgrun's own code (go-containerregistry) from the rootfs.
$(TESTIMAGE_OCI)/index.json: $(TESTIMAGE) integration/testimage/mkoci/main.go
	$(GO) run ./integration/testimage/mkoci $(TESTIMAGE) $(TESTIMAGE_OCI)

# cgrun's main job: limits from flags, in the kernel before the process runs.
# The container reads its own cgroup files: v2's where /sys/fs/cgroup is
# cgroup2, else v1's. --memory-swap equal to -m: no swap to escape to, so the
# kills below happen whether or not the host has swap.
DEMO_FILES := cd /sys/fs/cgroup; if [ -f cgroup.controllers ]; then fs="memory.max cpu.max pids.max"; \
	else fs="memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us pids/pids.max"; fi; \
	for f in $$fs; do echo "$$f: $$(cat $$f)"; done
demo: deps build image
	$(BIN) run --rm -m 100M --cpus 0.5 --pids-limit 50 $(TESTIMAGE) sh -c '$(DEMO_FILES)'
	@echo '--- stress --vm-bytes 150M under -m 100M --memory-swap 100M: the memory cgroup kills the worker'
	$(BIN) run --rm -m 100M --memory-swap 100M --cpus 0.5 $(TESTIMAGE) stress --vm 1 --vm-bytes 150M --timeout 10; echo "exit code $$?"
	@echo '--- the string-doubling loop under -m 20m --memory-swap 20m: OOM-killed, exit code 137'
	$(BIN) run --rm -m 20m --memory-swap 20m $(TESTIMAGE) sh -c 'x=a; while true; do x=$$x$$x$$x$$x; done'; echo "exit code $$?"

# cgrun beside runc, crun, podman and a namespace floor, interleaved, in one
# run (bench/bench.sh installs hyperfine, crun, podman, conmon when missing).
# The report is printed and kept in build/bench.md; ROUNDS=, RUNS= tune it.
bench: deps build image
	@mkdir -p $(BUILD)
	bench/bench.sh $(BIN) $(TESTIMAGE) | tee $(BUILD)/bench.md

# Volume attach of cgrun beside a hand-run iscsiadm login + mount of the same
# LUN, inside the VM lane (kernel iSCSI under QEMU TCG: compare the ratio),
# then the CSI calls' latency through cgrun csi and 20 volumes staged at once
# (integration's TestBenchCSI).
# The report is printed and kept in build/bench-vm.md; ROUNDS= tunes it.
bench-vm: build
	@mkdir -p $(BUILD)
	@echo 'bench-vm: booting the VM lane (a few minutes); its log goes to $(BUILD)/vm-bench.log'
	$(GO) test -c -o $(BUILD)/integration.test ./integration
	CGRUN_BIN=$(CURDIR)/$(BIN) GO=$(GO) VM_CMD='ROUNDS=$(or $(ROUNDS),8) bash bench/volume-attach.sh && cd integration && CGRUN_BENCH_CSI=1 ROUNDS=$(or $(ROUNDS),8) $(CURDIR)/$(BUILD)/integration.test -test.run "^TestBenchCSI$$" -test.v' \
		integration/vmlane/vmlane.sh $(BUILD)/vm-bench ./volume/ > $(BUILD)/vm-bench.log 2>&1 || { tail -n 40 $(BUILD)/vm-bench.log; exit 1; }
	@sed -n '/^### Volume attach (VM lane)/,$$p' $(BUILD)/vm-bench/test.log | tee $(BUILD)/bench-vm.md

clean:
	rm -rf bin $(BUILD)
