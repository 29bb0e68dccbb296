# lockstep's image, for GitLab CI jobs (templates/lockstep.yml) and anyone
# who runs containers. pg_query is C, so the build needs cgo; the final image
# is Debian slim with git (lint --since) and CA certificates (the APIs).
#
#   docker build --build-arg VERSION=v1.2.3 -t lockstep .
#   docker run --rm -v "$PWD:/work" lockstep lint migrations

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ENV CGO_ENABLED=1
RUN go build -trimpath -ldflags "-X main.version=${VERSION}" -o /out/lockstep ./cmd/lockstep \
 && /out/lockstep version

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*' \
 && useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin lockstep
COPY --from=build /out/lockstep /usr/local/bin/lockstep
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["lockstep"]
CMD ["--help"]
