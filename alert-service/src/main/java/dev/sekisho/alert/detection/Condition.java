package dev.sekisho.alert.detection;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A Sigma condition over a rule's named selections: {@code and}, {@code or}, {@code not}, parentheses,
 * {@code 1 of selection*}, {@code all of selection*}, {@code 1 of them}, {@code all of them}. The pipe aggregations of
 * Sigma 1 ({@code | count() > 5}) are refused: Sigma 2's correlations say the same thing.
 */
public final class Condition {

    private final Predicate<Map<String, Boolean>> test;

    private Condition(Predicate<Map<String, Boolean>> test) {
        this.test = test;
    }

    /** Whether the condition holds, given each selection's result. */
    public boolean test(Map<String, Boolean> selections) {
        return test.test(selections);
    }

    /**
     * @param names the rule's selections
     * @throws IllegalArgumentException with the reason a rule author reads
     */
    public static Condition parse(String text, Set<String> names) {
        if (text.indexOf('|') >= 0) {
            throw new IllegalArgumentException("aggregations in a condition (Sigma 1's '| count() ...') are not supported: "
                    + "write a correlation (event_count, value_count) instead");
        }
        if (text.length() > 1024) {
            throw new IllegalArgumentException("a condition is at most 1024 characters");
        }
        Parser parser = new Parser(tokens(text), names);
        Predicate<Map<String, Boolean>> expression = parser.or();
        if (parser.position < parser.tokens.size()) {
            throw new IllegalArgumentException("unexpected '" + parser.tokens.get(parser.position) + "' in the condition");
        }
        return new Condition(expression);
    }

    private static List<String> tokens(String text) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '(' || c == ')') {
                tokens.add(String.valueOf(c));
                i++;
            } else {
                int start = i;
                while (i < text.length() && !Character.isWhitespace(text.charAt(i)) && text.charAt(i) != '(' && text.charAt(i) != ')') {
                    i++;
                }
                tokens.add(text.substring(start, i));
            }
        }
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("the condition is empty");
        }
        return tokens;
    }

    private static final class Parser {
        final List<String> tokens;
        final Set<String> names;
        int position;
        int depth;

        Parser(List<String> tokens, Set<String> names) {
            this.tokens = tokens;
            this.names = names;
        }

        Predicate<Map<String, Boolean>> or() {
            Predicate<Map<String, Boolean>> left = and();
            while (accept("or")) {
                Predicate<Map<String, Boolean>> l = left;
                Predicate<Map<String, Boolean>> r = and();
                left = s -> l.test(s) || r.test(s);
            }
            return left;
        }

        Predicate<Map<String, Boolean>> and() {
            Predicate<Map<String, Boolean>> left = not();
            while (accept("and")) {
                Predicate<Map<String, Boolean>> l = left;
                Predicate<Map<String, Boolean>> r = not();
                left = s -> l.test(s) && r.test(s);
            }
            return left;
        }

        Predicate<Map<String, Boolean>> not() {
            if (accept("not")) {
                Predicate<Map<String, Boolean>> inner = not();
                return s -> !inner.test(s);
            }
            return atom();
        }

        Predicate<Map<String, Boolean>> atom() {
            String token = next();
            if (token.equals("(")) {
                if (++depth > 32) {
                    throw new IllegalArgumentException("the condition nests deeper than 32 parentheses");
                }
                Predicate<Map<String, Boolean>> inner = or();
                if (!accept(")")) {
                    throw new IllegalArgumentException("a '(' in the condition is not closed");
                }
                depth--;
                return inner;
            }
            if (token.equals("1") || token.equals("all") || token.equals("any")) {
                if (!accept("of")) {
                    throw new IllegalArgumentException("'" + token + "' must be followed by 'of' in the condition");
                }
                String target = next();
                List<String> chosen = target.equals("them") ? List.copyOf(names)
                        : names.stream().filter(name -> Glob.of(target).matches(name)).sorted().toList();
                if (chosen.isEmpty()) {
                    throw new IllegalArgumentException("'" + token + " of " + target + "' names no selection");
                }
                boolean every = token.equals("all");
                return s -> every ? chosen.stream().allMatch(s::get) : chosen.stream().anyMatch(s::get);
            }
            if (Set.of("and", "or", "of", "them", ")").contains(token)) {
                throw new IllegalArgumentException("unexpected '" + token + "' in the condition");
            }
            if (!names.contains(token)) {
                throw new IllegalArgumentException("the condition names '" + token + "', which is not a selection of this rule");
            }
            return s -> s.get(token);
        }

        private boolean accept(String token) {
            if (position < tokens.size() && tokens.get(position).equals(token)) {
                position++;
                return true;
            }
            return false;
        }

        private String next() {
            if (position >= tokens.size()) {
                throw new IllegalArgumentException("the condition ends too early");
            }
            return tokens.get(position++);
        }
    }
}
