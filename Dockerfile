# syntax=docker/dockerfile:1
# The one Coffer image: `coffer operator` in the Deployment, `coffer backup|restore|verify|delete` in Job pods.
#   docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/coffer-io/coffer:0.1.0 .
# The same image as the Maven build's image/target/coffer-image.tar (built without Docker by Jib): both run
# image/build-rootfs.sh (a jlink-ed Java 17, the libraries it links from Debian 12's packages, the one jar, user
# 65532, no shell), and e2e's ImageConfigTest keeps the entrypoint, user, environment and labels of both in agreement.
# One difference: Jib cannot set the sticky bit, so /tmp is 0777 in the archive and 1777 here (Coffer's pods mount
# an emptyDir there either way).

# The jar is the same on every platform: built once, natively
FROM --platform=$BUILDPLATFORM debian:12 AS build
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless maven \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -ntp -pl cli -am -DskipTests package

# The runtime and its libraries are the target platform's: jlink and the Debian packages of that architecture
FROM debian:12 AS rootfs
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends openjdk-17-jdk-headless openjdk-17-jmods \
 && rm -rf /var/lib/apt/lists/*
COPY image/build-rootfs.sh /build-rootfs.sh
COPY --from=build /src/cli/target/coffer.jar /coffer.jar
RUN bash /build-rootfs.sh /coffer.jar /out

FROM scratch
COPY --from=rootfs /out/rootfs/ /
LABEL org.opencontainers.image.title="coffer" \
      org.opencontainers.image.description="Kubernetes-native backups of MongoDB databases and file volumes" \
      org.opencontainers.image.source="https://github.com/coffer-io/coffer" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV JAVA_HOME=/opt/java \
    PATH=/opt/java/bin \
    LANG=C.UTF-8
USER 65532:65532
# The heap is half the container's memory limit; the root file system is read-only in Coffer's pods (no perf data)
ENTRYPOINT ["/opt/java/bin/java", "-XX:MaxRAMPercentage=50", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xss512k", "-jar", "/opt/coffer/coffer.jar"]
CMD ["--help"]
