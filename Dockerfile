# The tenantshift image: the one binary, run by the operator's Jobs (and usable as a CLI).
#   docker build -t tenantshift:0.1.0 .
#   docker run --rm -e TENANTSHIFT_DATABASE_URL=... -v $PWD:/m tenantshift:0.1.0 run -f /m/migration.yaml
FROM debian:bookworm-slim AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libpqxx-dev libcpprest-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY operator operator
COPY migrations migrations
COPY tests tests
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
    && cmake --build /build --target tenantshift

FROM debian:bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      libpqxx-6.4 libcpprest2.10 libyaml-cpp0.7 libspdlog1.10 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 65532 --no-create-home tenantshift
COPY --from=build /build/tenantshift /usr/local/bin/tenantshift
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/tenantshift"]
