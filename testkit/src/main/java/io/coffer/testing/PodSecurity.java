package io.coffer.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;

/** The Pod Security Standards "restricted" profile, as checks on a pod spec. */
public final class PodSecurity {
  private PodSecurity() {}

  public static void assertRestricted(PodSpec pod) {
    assertThat(pod.getHostNetwork()).as("hostNetwork").isNotEqualTo(Boolean.TRUE);
    assertThat(pod.getHostPID()).as("hostPID").isNotEqualTo(Boolean.TRUE);
    assertThat(pod.getHostIPC()).as("hostIPC").isNotEqualTo(Boolean.TRUE);
    for (Volume v : pod.getVolumes()) {
      assertThat(v.getHostPath()).as("hostPath volume " + v.getName()).isNull();
    }
    boolean podNonRoot =
        pod.getSecurityContext() != null
            && Boolean.TRUE.equals(pod.getSecurityContext().getRunAsNonRoot());
    String podSeccomp =
        pod.getSecurityContext() == null || pod.getSecurityContext().getSeccompProfile() == null
            ? null
            : pod.getSecurityContext().getSeccompProfile().getType();
    for (Container c : pod.getContainers()) {
      var sc = c.getSecurityContext();
      assertThat(sc).as("container securityContext").isNotNull();
      assertThat(sc.getPrivileged()).as("privileged").isNotEqualTo(Boolean.TRUE);
      assertThat(sc.getAllowPrivilegeEscalation()).as("allowPrivilegeEscalation").isFalse();
      assertThat(sc.getCapabilities().getDrop()).as("capabilities.drop").contains("ALL");
      assertThat(
              sc.getCapabilities().getAdd() == null
                  || sc.getCapabilities().getAdd().stream().allMatch("NET_BIND_SERVICE"::equals))
          .isTrue();
      assertThat(podNonRoot || Boolean.TRUE.equals(sc.getRunAsNonRoot()))
          .as("runAsNonRoot")
          .isTrue();
      String seccomp =
          sc.getSeccompProfile() != null ? sc.getSeccompProfile().getType() : podSeccomp;
      assertThat(seccomp).as("seccompProfile").isIn("RuntimeDefault", "Localhost");
      if (sc.getRunAsUser() != null) assertThat(sc.getRunAsUser()).isNotZero();
    }
    if (pod.getSecurityContext() != null && pod.getSecurityContext().getRunAsUser() != null) {
      assertThat(pod.getSecurityContext().getRunAsUser()).isNotZero();
    }
  }
}
