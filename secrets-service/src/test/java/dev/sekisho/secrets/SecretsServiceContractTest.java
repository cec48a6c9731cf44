package dev.sekisho.secrets;

import dev.sekisho.testing.resources.PostgresTestResource;
import dev.sekisho.testing.resources.KeycloakTestResource;
import dev.sekisho.testing.resources.RedisTestResource;
import dev.sekisho.testing.fixtures.ServiceContractTest;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

@QuarkusTest
@WithTestResource(PostgresTestResource.class)
@WithTestResource(RedisTestResource.class)
@WithTestResource(KeycloakTestResource.class)
class SecretsServiceContractTest extends ServiceContractTest {
}
