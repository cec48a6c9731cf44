package dev.sekisho.alert.detection;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The detection rules and correlations in force, compiled ({@link RuleCompiler}): which rules a signal matches, and
 * which correlations the match of a rule (or the firing of a correlation) feeds.
 */
public final class RuleSet {

    public static final RuleSet EMPTY = new RuleSet(List.of(), List.of());

    private final List<Rule> rules;
    private final List<Correlation> correlations;
    private final Map<String, List<Correlation>> fed;

    RuleSet(List<Rule> rules, List<Correlation> correlations) {
        this.rules = List.copyOf(rules);
        this.correlations = List.copyOf(correlations);
        Map<String, List<Correlation>> fed = new java.util.HashMap<>();
        for (Correlation correlation : correlations) {
            for (String rule : correlation.rules()) {
                fed.computeIfAbsent(rule, r -> new ArrayList<>()).add(correlation);
            }
        }
        fed.replaceAll((rule, list) -> List.copyOf(list));
        this.fed = Map.copyOf(fed);
    }

    public List<Rule> rules() {
        return rules;
    }

    public List<Correlation> correlations() {
        return correlations;
    }

    public int size() {
        return rules.size() + correlations.size();
    }

    /** The rules the signal matches, in file order. */
    public List<Rule> matching(Signal signal) {
        List<Rule> matched = null;
        for (Rule rule : rules) {
            if (rule.matches(signal)) {
                if (matched == null) {
                    matched = new ArrayList<>(2);
                }
                matched.add(rule);
            }
        }
        return matched == null ? List.of() : matched;
    }

    /** The correlations that count matches of the rule or firings of the correlation with this reference. */
    public List<Correlation> fedBy(String reference) {
        return fed.getOrDefault(reference, List.of());
    }

    public List<Correlation> absences() {
        return correlations.stream().filter(c -> c.type() == Correlation.Type.ABSENCE).toList();
    }
}
