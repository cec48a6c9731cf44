package dev.sekisho.secrets;

import dev.sekisho.testing.PostgresTestResource;
import dev.sekisho.testing.RedisTestResource;
import dev.sekisho.testing.ServiceContractTest;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
class SecretsServiceContractTest extends ServiceContractTest {
}
