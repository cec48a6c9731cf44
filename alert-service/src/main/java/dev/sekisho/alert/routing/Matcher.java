package dev.sekisho.alert.routing;

import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One label matcher in Alertmanager's syntax: {@code severity="critical"}, {@code user!="root"}, {@code rule=~"sekisho-auth-.*"},
 * {@code rule!~"test-.*"}. Regular expressions are anchored (the whole value), as in Alertmanager; they are the
 * operator's own and run on alert labels (at most 256 characters each), never on caller input alone.
 */
public record Matcher(String label, String op, String value, Pattern pattern) {

    static final Pattern SYNTAX = Pattern.compile("\\s*([a-zA-Z_][a-zA-Z0-9_.-]{0,63})\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.){0,256})\"\\s*");

    public static Matcher parse(String text) {
        var m = SYNTAX.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("matcher '" + (text.length() > 64 ? text.substring(0, 64) + "..." : text)
                    + "' is not label=\"value\" (or !=, =~, !~)");
        }
        String value = m.group(3).replace("\\\"", "\"").replace("\\\\", "\\");
        Pattern pattern = null;
        if (m.group(2).endsWith("~")) {
            try {
                pattern = Pattern.compile(value);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("matcher '" + m.group(1) + "' has an invalid regular expression");
            }
        }
        return new Matcher(m.group(1), m.group(2), value, pattern);
    }

    public boolean matches(Map<String, String> labels) {
        String actual = labels.getOrDefault(label, "");
        return switch (op) {
            case "=" -> actual.equals(value);
            case "!=" -> !actual.equals(value);
            case "=~" -> pattern.matcher(actual).matches();
            default -> !pattern.matcher(actual).matches();
        };
    }

    public static boolean all(java.util.List<Matcher> matchers, Map<String, String> labels) {
        for (Matcher matcher : matchers) {
            if (!matcher.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return label + op + "\"" + value + "\"";
    }
}
