# Shared by bin/demo and bin/run-example: builds the examples (once, and again when a source or pom
# changed) and gives the class path to run them with.

need_tools() {
  command -v java >/dev/null 2>&1 || { echo "Tidemark needs a JDK 17 or newer: java is not on the PATH" >&2; exit 2; }
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  if [ -z "$major" ] || [ "${major%%.*}" -lt 17 ]; then
    echo "Tidemark needs a JDK 17 or newer; this java is ${major:-unknown}" >&2; exit 2
  fi
  command -v mvn >/dev/null 2>&1 || { echo "Tidemark builds with Maven 3.8 or newer: mvn is not on the PATH" >&2; exit 2; }
}

build_examples() {
  local stamp="$root/examples/target/run.classpath"
  if [ -f "$stamp" ] && [ -z "$(find "$root" \( -name target -o -name .git \) -prune -o \
      \( -name pom.xml -o -path '*/src/main/*' -o -path '*/src/run/*' \) -newer "$stamp" -print -quit)" ]; then
    return
  fi
  need_tools
  echo "building Tidemark's examples (first run: a few minutes, and about 1 GB of dependencies into ~/.m2) ..." >&2
  (cd "$root" && mvn -B -q -pl examples -am package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true) >&2
  touch "$stamp"
}

# The JVM options every examples JVM needs: Spark's flags on Java 17, and the Maven repository the
# build used (the demo's servers come from it).
examples_jvm_options() {
  cat "$root/examples/target/jvm.flags"
  echo "-Dtidemark.testkit.m2=$(cat "$root/examples/target/m2.path")"
}

examples_classpath() {
  echo "$root/examples/target/classes:$(cat "$root/examples/target/run.classpath")"
}
