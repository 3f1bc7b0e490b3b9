// Package image gets a container's root filesystem from an OCI image: it
// reads image layouts (oci:DIR[:TAG]), layout archives (oci-archive:FILE[:TAG])
// and registries (docker://REGISTRY/NAME[:TAG|@DIGEST]) through
// go-containerregistry, checks every blob against its digest and size
// before it is used, keeps verified blobs and unpacked layers in a store
// shared by concurrent cgrun processes, and gives each container an
// overlayfs mount whose lower layers are shared and read-only.
//
// Store layout under its root (default /var/lib/cgrun):
//
//	blobs/sha256/HEX      verified blobs (indexes, manifests, configs, layers)
//	layers/sha256/DIFFID  one unpacked layer per uncompressed digest, whiteouts
//	                      already in overlayfs form
//	images.json           name -> image record
//	mounts/ID/            a container's upper, work and merged dirs; its image
//	                      file marks the image in use until Unmount
//	tmp/                  partial writes, renamed into place once verified
//	gc.lock, meta.lock    flock(2) files: writers of blobs take gc.lock
//	                      shared, rmi takes it exclusive; meta.lock guards
//	                      images.json
package image
