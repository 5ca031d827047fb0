package io.tidemark.spark;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.cfg.PackageVersion;
import com.fasterxml.jackson.module.scala.DefaultScalaModule$;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.kafka010.KafkaSourceProvider;
import org.apache.spark.streaming.kafka010.KafkaUtils;
import org.junit.jupiter.api.Test;

/**
 * Each Spark line's module runs its tests on the Spark it names and on the versions that Spark
 * brings: this checks the classes actually on the test classpath against the versions the module's
 * pom resolves (passed in as {@code tidemark.line.*}), so that a line whose dependency management
 * slipped back to the other line's versions fails here, not by passing the other line's tests twice.
 */
class SparkLineTest {

  private static String expected(String line) {
    String version = System.getProperty("tidemark.line." + line);
    assertThat(version)
        .as("system property tidemark.line.%s: set by the build (build-parent's surefire configuration); run through Maven", line)
        .isNotBlank()
        .doesNotStartWith("${");
    return version;
  }

  private static String jarVersion(Class<?> inJar) {
    return inJar.getPackage().getImplementationVersion();
  }

  @Test
  void sparkItsKafkaSourcesAndScalaAreTheLinesOwn() {
    String spark = expected("spark");
    assertThat(jarVersion(SparkContext.class)).as("spark-core").isEqualTo(spark);
    assertThat(jarVersion(KafkaSourceProvider.class)).as("spark-sql-kafka-0-10").isEqualTo(spark);
    assertThat(jarVersion(KafkaUtils.class)).as("spark-streaming-kafka-0-10").isEqualTo(spark);
    assertThat(scala.util.Properties.versionNumberString()).as("scala-library").isEqualTo(expected("scala"));
  }

  @Test
  void kafkaClientsAndJacksonAreTheOnesTheLinesSparkBrings() {
    assertThat(AppInfoParser.getVersion()).as("kafka-clients").isEqualTo(expected("kafka-clients"));
    assertThat(PackageVersion.VERSION.toString()).as("jackson-databind").isEqualTo(expected("jackson"));
    // jackson-module-scala refuses a jackson-databind of another minor version when Spark first maps JSON
    com.fasterxml.jackson.core.Version scalaModule = DefaultScalaModule$.MODULE$.version();
    assertThat(scalaModule.getMajorVersion() + "." + scalaModule.getMinorVersion())
        .as("jackson-module-scala %s against jackson-databind %s", scalaModule, PackageVersion.VERSION)
        .isEqualTo(PackageVersion.VERSION.getMajorVersion() + "." + PackageVersion.VERSION.getMinorVersion());
  }
}
