package dev.sekisho.common.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a reload says it changed: nothing at the start, nothing for a touch, files added, removed, modified, a refusal. */
class PolicyDirectoryTest {

    /** A "policy set" of the files' lines; a file holding "broken" is refused. */
    private static List<String> compile(List<Path> files) throws InvalidPolicyException {
        List<String> lines = new ArrayList<>();
        for (Path file : files) {
            try {
                String text = Files.readString(file);
                if (text.contains("broken")) {
                    throw new InvalidPolicyException(file.getFileName().toString(), 1, "broken");
                }
                lines.addAll(text.lines().toList());
            } catch (java.io.IOException e) {
                throw new InvalidPolicyException(file.getFileName().toString(), 0, "unreadable");
            }
        }
        return lines;
    }

    @Test
    void aReloadSaysWhatChanged(@TempDir Path dir) throws Exception {
        PolicyDirectory<List<String>> policies = new PolicyDirectory<>("test policies", List.of(), PolicyDirectoryTest::compile,
                List::size, false, Logger.getLogger(PolicyDirectoryTest.class));
        Files.writeString(dir.resolve("a.yaml"), "one\n");
        assertNull(policies.reload(dir), "the set a service starts with is no change");
        assertNull(policies.reload(dir), "nothing changed");
        Files.writeString(dir.resolve("a.yaml"), "one\n"); // rewritten as it was: touched, not changed
        Files.setLastModifiedTime(dir.resolve("a.yaml"), java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertNull(policies.reload(dir), "the same content is no change");

        Files.writeString(dir.resolve("b.yaml"), "two\nthree\n");
        PolicyDirectory.Change added = policies.reload(dir);
        assertEquals(List.of("b.yaml"), added.added());
        assertEquals(1, added.sizeBefore());
        assertEquals(3, added.sizeAfter());
        assertTrue(added.loaded());

        Files.writeString(dir.resolve("a.yaml"), "one\nfour\n");
        Files.delete(dir.resolve("b.yaml"));
        PolicyDirectory.Change edited = policies.reload(dir);
        assertEquals(List.of("a.yaml"), edited.modified());
        assertEquals(List.of("b.yaml"), edited.removed());
        assertEquals("removed b.yaml; modified a.yaml (3 -> 2)", edited.summary());

        Files.writeString(dir.resolve("c.yaml"), "broken\n");
        PolicyDirectory.Change refused = policies.reload(dir);
        assertEquals("c.yaml:1: broken", refused.rejection());
        assertEquals(List.of("one", "four"), policies.current(), "the previous set stays in force");
        Files.delete(dir.resolve("c.yaml"));
        assertNull(policies.reload(dir), "back to the set in force: no change");
    }
}
