# The environment of the e2e tests' Go builds (cluster/build.sh, tools/build.sh), to source: the
# machine's Go toolchain only, module files that a build never changes, and as many parallel
# jobs as given ($E2E_GO_JOBS, default 2: the machine has two cores shared with the C++ build).
export GOTOOLCHAIN=local
export PATH="/usr/local/go/bin:$PATH"
export GOFLAGS="-mod=readonly -buildvcs=false"
go_jobs=${E2E_GO_JOBS:-2}
