package dev.sekisho.alert.detection;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A Sigma detection rule over signals: where it applies ({@code logsource.service}, or every service), its named
 * selections and the condition over them. {@code fields} name the labels an alert of the rule carries and is grouped
 * by. A rule that a correlation uses fires alerts of its own only with {@code generate: true} (Sigma's rule).
 */
public record Rule(String id, String name, String title, String description, String severity, String service,
        Map<String, Predicate<Signal>> selections, Condition condition, List<String> fields, boolean generate, List<PlaybookAction> playbook,
        String file) {

    public boolean matches(Signal signal) {
        if (service != null && !service.equals(signal.service())) {
            return false;
        }
        Map<String, Boolean> results = new HashMap<>(selections.size() * 2);
        selections.forEach((selection, test) -> results.put(selection, test.test(signal)));
        return condition.test(results);
    }

    /** The name correlations use: the rule's {@code name}, else its {@code id}. */
    public String reference() {
        return name != null ? name : id;
    }
}
