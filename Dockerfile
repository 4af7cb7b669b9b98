# syntax=docker/dockerfile:1
# The one Coffer image: `coffer operator` in the Deployment, `coffer backup|restore|verify|delete` in Job pods.
#   docker build -t ghcr.io/coffer-io/coffer:0.1.0 .
# Only cli/target/coffer.jar goes in: the embedded servers of the tests and the demo (testkit, demo) never do.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY protocol/pom.xml protocol/
COPY api/pom.xml api/
COPY engine/pom.xml engine/
COPY operator/pom.xml operator/
COPY cli/pom.xml cli/
COPY testkit/pom.xml testkit/
COPY demo/pom.xml demo/
COPY e2e/pom.xml e2e/
COPY protocol/src protocol/src
COPY api/src api/src
COPY engine/src engine/src
COPY operator/src operator/src
COPY cli/src cli/src
COPY testkit/src testkit/src
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -pl cli -am -Dmaven.test.skip=true package \
 && cp cli/target/coffer.jar /coffer.jar

# Distroless Java 17: no shell, no package manager; user 65532 (nonroot).
FROM gcr.io/distroless/java17-debian12:nonroot
LABEL org.opencontainers.image.title="coffer" \
      org.opencontainers.image.description="Kubernetes-native backups of MongoDB databases and file volumes" \
      org.opencontainers.image.source="https://github.com/coffer-io/coffer" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /coffer.jar /opt/coffer/coffer.jar
USER 65532:65532
# The root filesystem is read-only in Coffer's pods: no perf data files; /tmp is an emptyDir.
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError"
ENTRYPOINT ["java", "-jar", "/opt/coffer/coffer.jar"]
CMD ["--help"]
