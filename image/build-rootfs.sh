#!/usr/bin/env bash
# The Coffer image's root file system, assembled without a Docker engine from this machine's JDK and Debian packages:
#   build-rootfs.sh COFFER_JAR OUT_DIR
# OUT_DIR/rootfs gets: /opt/java (a jlink-ed Java runtime with the modules the jar needs), the shared libraries
# that runtime links (from the installed Debian packages libc6, zlib1g, libgcc-s1, libstdc++6, each recorded in
# /var/lib/dpkg/status.d/ with its copyright, as distroless images do, so scanners and SBOM tools see them),
# /etc/passwd and /etc/group with the non-root user 65532, and empty /tmp and mount points. No shell, no package
# manager. The Maven build (image/pom.xml) and the Dockerfile both run this script, so both images are the same.
set -euo pipefail
jar=$1
out=$2
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac || command -v java)")")")}
jlink=$java_home/bin/jlink
jdeps=$java_home/bin/jdeps
[ -x "$jlink" ] || { echo "build-rootfs.sh: no jlink in $java_home: set JAVA_HOME to a JDK 17" >&2; exit 2; }
[ -d "$java_home/jmods" ] || { echo "build-rootfs.sh: $java_home has no jmods: install openjdk-17-jmods (apt-get install openjdk-17-jmods)" >&2; exit 2; }
[ -f "$jar" ] || { echo "build-rootfs.sh: $jar not found: build the cli module first (mvn -pl cli -am package)" >&2; exit 2; }
command -v dpkg-query >/dev/null || { echo "build-rootfs.sh: needs a Debian-based build machine (dpkg-query)" >&2; exit 2; }

root=$out/rootfs
# up to date when the jar, this script, the JDK and the library packages are those of the last run (a rebuild costs
# jdeps and jlink, ~25 s)
stamp=$out/rootfs.stamp
want=$( { sha256sum "$jar" "$0"; "$java_home/bin/java" -version 2>&1; dpkg-query -W libc6 zlib1g libgcc-s1 libstdc++6; } \
  | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$root/opt/coffer/coffer.jar" ]; then
  echo "rootfs: up to date in $root"
  exit 0
fi
rm -f "$stamp"
rm -rf "$root"
mkdir -p "$root"/opt/coffer "$root"/etc "$root"/var/lib/dpkg/status.d "$root"/usr/share/doc

# The modules the jar uses (jdeps), plus what it loads by name, which jdeps cannot see: jdk.crypto.ec (ECDHE in TLS
# to S3), jdk.naming.dns (the MongoDB driver resolves mongodb+srv:// SRV and TXT records through JNDI's DNS provider);
# jdk.zipfs and jdk.localedata stay out (unused).
modules=$("$jdeps" --ignore-missing-deps --multi-release 17 --print-module-deps "$jar" | tail -1)
modules="$modules,jdk.crypto.ec,jdk.naming.dns"
# java.desktop comes in for java.beans (YAML); its native AWT, font and sound libraries would pull X11 and freetype
exclude=""
for n in libawt_xawt libsplashscreen libfontmanager libjsound libjawt liblcms libjavajpeg libmlib_image; do exclude="$exclude**/$n.so,"; done
"$jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --exclude-files="${exclude%,}" --output "$root/opt/java"
echo "$modules" > "$out/modules"

# The libraries the runtime links, copied from the package that owns them (symlinks resolved: one file per name)
libs=$(for f in "$root"/opt/java/bin/* "$root"/opt/java/lib/*.so "$root"/opt/java/lib/server/libjvm.so; do
  ldd "$f" 2>/dev/null | awk '$3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}'
done | grep -v "^$root" | sort -u)
packages=""
for lib in $libs; do
  dest="$root$lib"
  mkdir -p "$(dirname "$dest")"
  cp -L "$lib" "$dest"
  owner=$(dpkg-query -S "$lib" 2>/dev/null || dpkg-query -S "$(readlink -f "$lib")" 2>/dev/null || true)
  [ -n "$owner" ] || { echo "build-rootfs.sh: no Debian package owns $lib" >&2; exit 2; }
  packages="$packages ${owner%%:*}"
done
# /lib64 is a symlink on merged-/usr Debian; the loader must be where the ELF interpreter path says
for lib in $libs; do
  case "$lib" in /lib64/*|/usr/lib64/*) mkdir -p "$root/lib64"; cp -L "$lib" "$root/lib64/$(basename "$lib")";; esac
done
rm -rf "$root/usr/lib64"
for p in $(echo "$packages" | tr ' ' '\n' | sort -u); do
  name=${p%%:*}
  dpkg-query -s "$p" > "$root/var/lib/dpkg/status.d/$name"
  if [ -f "/usr/share/doc/$name/copyright" ]; then mkdir -p "$root/usr/share/doc/$name"; cp -L "/usr/share/doc/$name/copyright" "$root/usr/share/doc/$name/"; fi
done
echo "$packages" | tr ' ' '\n' | sed '/^$/d' | sort -u > "$out/packages"

cp "$jar" "$root/opt/coffer/coffer.jar"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
# mount points a kubelet mounts over (the root file system itself is read-only in Coffer's pods)
mkdir -p "$root"/tmp "$root"/proc "$root"/dev "$root"/sys "$root"/home/nonroot "$root"/var/run/secrets
touch "$root"/etc/hosts "$root"/etc/resolv.conf "$root"/etc/hostname
chmod 1777 "$root/tmp"
chown -R 0:0 "$root" 2>/dev/null || true
chown 65532:65532 "$root/home/nonroot" 2>/dev/null || true
# one file per name: the image builder copies regular files and folders only (jlink links legal notices)
find "$root" -type l | while read -r l; do cp --remove-destination "$(readlink -f "$l")" "$l"; done
cp "$java_home/legal/java.base/LICENSE" "$root/opt/java/LICENSE" 2>/dev/null || true
echo "rootfs: $(du -sh "$root" | cut -f1) in $root (modules $modules; packages $(tr '\n' ' ' < "$out/packages"))"
echo "$want" > "$stamp"
