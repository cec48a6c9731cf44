package dev.sekisho.ratelimit.policy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every loaded domain as a descriptor tree, and the named rules. Immutable: a reload builds a new set and swaps
 * it in whole, so a request sees either the old policies or the new ones.
 */
public final class PolicySet {

    /** A level of the tree: for each descriptor key, the child for each exact value and the any-value child. */
    static final class Node {
        final Map<String, Map<String, Node>> exact = new HashMap<>();
        final Map<String, Node> anyValue = new HashMap<>();
        Rule rule;

        Node child(String key, String value) {
            Map<String, Node> byValue = exact.get(key);
            Node match = byValue == null ? null : byValue.get(value);
            return match != null ? match : anyValue.get(key);
        }
    }

    /** One descriptor entry of a request. */
    public record Entry(String key, String value) {
    }

    public static final PolicySet EMPTY = new PolicySet(Map.of(), Map.of(), Set.of());

    private final Map<String, Node> domains;
    private final Map<String, Rule> named;
    private final Set<String> protectedDomains;

    PolicySet(Map<String, Node> domains, Map<String, Rule> named, Set<String> protectedDomains) {
        this.domains = Map.copyOf(domains);
        this.named = Map.copyOf(named);
        this.protectedDomains = Set.copyOf(protectedDomains);
    }

    /** Marked {@code protected: true} in its policy file. */
    public boolean isProtected(String domain) {
        return protectedDomains.contains(domain);
    }

    /** The rule for a descriptor, as Envoy matches it: every entry must be consumed, exact value before any value. */
    public Optional<Rule> match(String domain, List<Entry> entries) {
        Node node = domains.get(domain);
        if (node == null || entries.isEmpty()) {
            return Optional.empty();
        }
        for (Entry entry : entries) {
            node = node.child(entry.key(), entry.value());
            if (node == null) {
                return Optional.empty();
            }
        }
        return Optional.ofNullable(node.rule);
    }

    public Optional<Rule> named(String name) {
        return Optional.ofNullable(named.get(name));
    }

    public Collection<Rule> namedRules() {
        return named.values();
    }

    public int domainCount() {
        return domains.size();
    }

    static Builder builder() {
        return new Builder();
    }

    static final class Builder {
        private final Map<String, Node> domains = new HashMap<>();
        private final Map<String, Rule> named = new HashMap<>();
        private final Set<String> protectedDomains = new HashSet<>();

        /** Adds a domain; false when the domain is already defined by another file. */
        boolean domain(String domain, boolean isProtected) {
            if (isProtected) {
                protectedDomains.add(domain);
            }
            return domains.putIfAbsent(domain, new Node()) == null;
        }

        /** Places a rule at its path; false when its name is taken. */
        boolean add(Rule rule) {
            Node node = domains.get(rule.domain());
            for (Rule.PathStep step : rule.path()) {
                node = step.value() == null
                        ? node.anyValue.computeIfAbsent(step.key(), k -> new Node())
                        : node.exact.computeIfAbsent(step.key(), k -> new HashMap<>()).computeIfAbsent(step.value(), v -> new Node());
            }
            node.rule = rule;
            return rule.name() == null || named.putIfAbsent(rule.name(), rule) == null;
        }

        /** Declares a path that has no limit of its own (an inner node). */
        void path(String domain, List<Rule.PathStep> path) {
            Node node = domains.get(domain);
            for (Rule.PathStep step : path) {
                node = step.value() == null
                        ? node.anyValue.computeIfAbsent(step.key(), k -> new Node())
                        : node.exact.computeIfAbsent(step.key(), k -> new HashMap<>()).computeIfAbsent(step.value(), v -> new Node());
            }
        }

        List<String> unknownReplaces() {
            List<String> unknown = new ArrayList<>();
            for (Rule rule : named.values()) {
                rule.replaces().stream().filter(r -> !named.containsKey(r)).forEach(r -> unknown.add(rule.label() + " replaces unknown rule " + r));
            }
            return unknown;
        }

        PolicySet build() {
            return new PolicySet(domains, named, protectedDomains);
        }
    }
}
