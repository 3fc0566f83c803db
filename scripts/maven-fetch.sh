#!/usr/bin/env bash
# maven-fetch.sh GROUP:ARTIFACT:VERSION[:EXT] — downloads one artifact (a
# jar, or EXT: e.g. aar) from Maven Central into target/maven/ (once),
# checks it against Central's SHA-1, and prints its path. Used by
# kotlin-test.sh for the JVM test, Robolectric and Android compile-only
# classpaths, and by android-check.py for JNA's Android libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
IFS=: read -r group artifact version ext <<<"$1"
ext="${ext:-jar}"
dir=target/maven
mkdir -p "$dir"
jar="$dir/$artifact-$version.$ext"
if [ ! -f "$jar" ]; then
  url="https://repo1.maven.org/maven2/${group//.//}/$artifact/$version/$artifact-$version.$ext"
  curl -fsSL --retry 3 -o "$jar.part" "$url"
  want="$(curl -fsSL --retry 3 "$url.sha1" | cut -c1-40)"
  got="$(sha1sum "$jar.part" | cut -c1-40)"
  if [ "$want" != "$got" ]; then
    rm -f "$jar.part"
    echo "checksum mismatch for $1" >&2
    exit 1
  fi
  mv "$jar.part" "$jar"
fi
echo "$jar"
