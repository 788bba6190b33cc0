# Builds both chatops binaries; `docker-compose.yml` runs each from this image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bins \
 && cp target/release/chatops-worker target/release/chatops-bot /usr/local/bin/

FROM debian:bookworm-slim
# The worker checks repositories out with git over HTTPS (workspaces).
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home chatops
COPY --from=build /usr/local/bin/chatops-worker /usr/local/bin/chatops-bot /usr/local/bin/
USER chatops
WORKDIR /home/chatops
ENV CHATOPS__LOG__FORMAT=json CHATOPS__WORKSPACE__DIR=/home/chatops/workspaces
CMD ["chatops-worker"]
