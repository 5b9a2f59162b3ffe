# recce's container images (docs/install.md).
#
#   recce  (the default)  recce alone, on Debian 12 slim
#   dbt                   the same with dbt-core and the common adapters, for
#                         pipelines that build the dbt project in the same job
#
# The release job builds both with buildah (scripts/release image); by hand:
#   buildah build -t recce .               (or docker build)
#   buildah build --target dbt -t recce:dbt .
# The builder and the runtime images are the same Debian release, so the
# binary needs no newer glibc or libstdc++ than the runtime has (scripts/release
# checks it while building).

ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# --- build: recce with cgo (DuckDB), by the release script ---------------------
FROM ${GO_IMAGE} AS build
# Set by scripts/release image; a plain build says "dev" (the context has no .git).
ARG VERSION=dev
ARG COMMIT=
ARG SOURCE_DATE_EPOCH
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    VERSION="${VERSION}" COMMIT="${COMMIT}" SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-}" \
    scripts/release build --binary-only -o /out

# --- recce: the binary and CA certificates ----------------------------------------
FROM ${RUNTIME_IMAGE} AS recce
ARG VERSION=dev
ARG COMMIT=
LABEL org.opencontainers.image.title="recce" \
      org.opencontainers.image.description="Review the data changes of a dbt project in a GitLab merge request" \
      org.opencontainers.image.source="https://gitlab.com/recce-go/recce" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
# glibc, libstdc++ and libgcc_s (DuckDB's library needs them) are in the base.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 --user-group recce
COPY --from=build /out/recce /usr/local/bin/recce
COPY LICENSE NOTICE /usr/share/doc/recce/
USER recce
WORKDIR /home/recce
ENTRYPOINT ["recce"]
CMD ["--help"]

# --- dbt: recce, dbt-core and the common adapters --------------------------------
# On the recce image, so both have the same binary, user and entrypoint.
FROM recce AS dbt
ARG DBT_CORE_VERSION=1.11
USER root
# git: dbt deps for git packages, and building the base branch in a worktree.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git python3 python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/dbt \
 && /opt/dbt/bin/pip install --no-cache-dir \
      "dbt-core~=${DBT_CORE_VERSION}.0" dbt-duckdb dbt-postgres dbt-snowflake dbt-bigquery dbt-redshift
ENV PATH=/opt/dbt/bin:$PATH
USER recce

# The default target (a build without --target): recce alone.
FROM recce
