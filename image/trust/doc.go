// Package trust decides which images cgrun may pull and how it reaches
// their registries, as Podman and skopeo do, through containers/image
// (go.podman.io/image/v5, built with its pure-Go OpenPGP):
//
//   - signature verification by a containers-policy.json(5) policy before
//     anything is copied (insecureAcceptAnything, reject, signedBy with GPG
//     simple signing, sigstoreSigned with a public key; signatures from
//     registries.d lookaside stores or sigstore attachments), and the
//     verified manifest digest the pull is then pinned to;
//   - registry credentials from the files Docker and Podman read
//     ($REGISTRY_AUTH_FILE or --authfile, ${XDG_RUNTIME_DIR}/containers/auth.json
//     or /run/containers/UID/auth.json, $XDG_CONFIG_HOME/containers/auth.json,
//     $DOCKER_CONFIG/config.json or ~/.docker/config.json, credential
//     helpers), written by Login and removed by Logout;
//   - TLS per registry from certs.d directories (ca *.crt, client
//     *.cert/*.key under /etc/containers/certs.d/HOST:PORT and
//     /etc/docker/certs.d/HOST:PORT), with plain HTTP only for registries
//     registries.conf lists as insecure or when TLS verification is off.
//
// The image package copies the blobs (go-containerregistry); this package
// gives it the transport, the credentials and the verdict.
package trust
