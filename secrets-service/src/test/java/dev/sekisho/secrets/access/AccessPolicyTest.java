package dev.sekisho.secrets.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.sekisho.common.policy.InvalidPolicyException;
import dev.sekisho.common.policy.PolicyFiles;

class AccessPolicyTest {

    @TempDir
    Path dir;

    private AccessPolicy policy(String yaml) throws Exception {
        Path file = dir.resolve("access.yaml");
        Files.writeString(file, yaml);
        return AccessPolicy.of(List.of(PolicyFiles.read(file, AccessRules.class)));
    }

    @Test
    void denyByDefaultAndEachCapabilityOnItsOwn() throws Exception {
        AccessPolicy policy = policy("""
                rules:
                  - roles: [operator]
                    paths: ["integrations/*"]
                    capabilities: [read, list]
                  - roles: [operator]
                    paths: ["shared/readme"]
                    capabilities: [write]
                """);
        Set<String> operator = Set.of("operator");
        assertTrue(policy.allows(operator, "integrations/crm", Capability.READ));
        assertTrue(policy.allows(operator, "integrations/crm/token", Capability.LIST));
        assertFalse(policy.allows(operator, "integrations/crm", Capability.WRITE), "not granted");
        assertFalse(policy.allows(operator, "integrations/crm", Capability.DELETE));
        assertFalse(policy.allows(operator, "integrations", Capability.READ), "the prefix itself is not under it");
        assertFalse(policy.allows(operator, "integrationsx/crm", Capability.READ), "a prefix is whole segments");
        assertTrue(policy.allows(operator, "shared/readme", Capability.WRITE));
        assertFalse(policy.allows(operator, "shared/readme/more", Capability.WRITE), "an exact path is exact");
        assertFalse(policy.allows(Set.of("auditor"), "integrations/crm", Capability.READ), "another role");
        assertFalse(policy.allows(Set.of(), "integrations/crm", Capability.READ), "no role");
        assertFalse(AccessPolicy.DENY_ALL.allows(Set.of("admin"), "a", Capability.READ));
        assertTrue(policy.mayListUnder(operator, "integrations/"));
        assertTrue(policy.mayListUnder(operator, ""), "something under everything");
        assertFalse(policy.mayListUnder(operator, "shared/"));
    }

    @Test
    void transitKeysAndTokenNamespacesHaveTheirOwnRulesAndCapabilities() throws Exception {
        AccessPolicy policy = policy("""
                rules:
                  - roles: [operator]
                    paths: ["payments/*"]
                    capabilities: [read]
                  - resource: transit
                    roles: [operator]
                    paths: ["payments/*"]
                    capabilities: [encrypt, hmac]
                  - resource: tokens
                    roles: [operator]
                    paths: ["customers"]
                    capabilities: [tokenize]
                """);
        Set<String> operator = Set.of("operator");
        assertTrue(policy.allows(Resource.TRANSIT, operator, "payments/cards", Capability.ENCRYPT));
        assertFalse(policy.allows(Resource.TRANSIT, operator, "payments/cards", Capability.DECRYPT), "not granted");
        assertFalse(policy.allows(Resource.TRANSIT, operator, "payments/cards", Capability.READ), "a secrets rule opens no key");
        assertFalse(policy.allows(operator, "payments/cards", Capability.LIST), "a transit rule opens no secret");
        assertTrue(policy.allows(operator, "payments/cards", Capability.READ));
        assertTrue(policy.allows(Resource.TOKENS, operator, "customers", Capability.TOKENIZE));
        assertFalse(policy.allows(Resource.TOKENS, operator, "customers", Capability.DETOKENIZE));
        assertFalse(policy.allows(Resource.TRANSIT, operator, "customers", Capability.ENCRYPT));
        assertFalse(policy.mayListUnder(operator, "payments/"), "listing secrets needs a secrets rule with list");
    }

    @Test
    void aCapabilityOfAnotherResourceIsRefused() {
        var e = assertThrows(InvalidPolicyException.class, () -> policy("""
                rules:
                  - roles: [operator]
                    paths: ["*"]
                    capabilities: [read]
                  - resource: tokens
                    roles: [operator]
                    paths: ["customers"]
                    capabilities: [tokenize, encrypt]
                """));
        assertEquals(5, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("does not apply to tokens"), e.getMessage());
        var unknown = assertThrows(InvalidPolicyException.class, () -> policy("""
                rules:
                  - resource: vault
                    roles: [operator]
                    paths: ["*"]
                    capabilities: [read]
                """));
        assertTrue(unknown.getMessage().contains("unknown resource"), unknown.getMessage());
    }

    @Test
    void aMistakeIsNamedWithItsLine() {
        var e = assertThrows(InvalidPolicyException.class, () -> policy("""
                rules:
                  - roles: [operator]
                    paths: ["integrations/*"]
                    capabilities: [read, fly]
                """));
        assertEquals(2, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("unknown capability 'fly'"), e.getMessage());
        var traversal = assertThrows(InvalidPolicyException.class, () -> policy("""
                rules:
                  - roles: [operator]
                    paths: ["integrations/../admin/*"]
                    capabilities: [read]
                """));
        assertTrue(traversal.getMessage().contains("path pattern"), traversal.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../admin", "integrations/../admin", "integrations/./crm", "integrations//crm", "/integrations/crm",
            "integrations/crm/", "integrations%2fcrm", "integrations%2Fcrm", "Integrations/crm", "integrations/CRM",
            "integrations/\u0441rm", "integrations/crm\u0000", "integrations\\crm", "integrations/ crm", "", ".hidden", "a/..",
            "integrations/crm?x=1", "integrations/crm#x", "integrations/cr m"})
    void pathTricksAreRefusedNotRepaired(String raw) {
        var e = assertThrows(IllegalArgumentException.class, () -> SecretPath.canonical(raw));
        if (!raw.isEmpty()) {
            assertFalse(e.getMessage().contains(raw), "the path is not quoted back: " + e.getMessage());
        }
    }

    @Test
    void canonicalPathsPass() {
        assertEquals("integrations/crm-prod/api_key.v2", SecretPath.canonical("integrations/crm-prod/api_key.v2"));
        assertThrows(IllegalArgumentException.class, () -> SecretPath.canonical("a/".repeat(17) + "a"));
        assertThrows(IllegalArgumentException.class, () -> SecretPath.canonical("a".repeat(65)));
    }
}
