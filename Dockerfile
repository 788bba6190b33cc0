# Builds both chatops binaries; `docker-compose.yml` runs each from this image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bins \
 && cp target/release/chatops-worker target/release/chatops-bot /usr/local/bin/

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 chatops
COPY --from=build /usr/local/bin/chatops-worker /usr/local/bin/chatops-bot /usr/local/bin/
USER chatops
ENV CHATOPS__LOG__FORMAT=json
CMD ["chatops-worker"]
