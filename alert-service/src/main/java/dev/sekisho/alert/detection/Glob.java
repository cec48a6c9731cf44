package dev.sekisho.alert.detection;

/**
 * Sigma's wildcards in a value: {@code *} any run of characters, {@code ?} one character, {@code \} escapes either.
 * Matched in linear space and at most length × pattern steps (no regular expressions, no backtracking blow-up).
 */
final class Glob {

    private final char[] pattern;
    private final boolean[] literal;

    private Glob(char[] pattern, boolean[] literal) {
        this.pattern = pattern;
        this.literal = literal;
    }

    static boolean hasWildcards(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '*' || c == '?') {
                return true;
            }
        }
        return false;
    }

    /** The pattern with its escapes resolved; {@code unescape} alone is the literal value of a pattern without wildcards. */
    static Glob of(String value) {
        StringBuilder chars = new StringBuilder();
        java.util.BitSet literals = new java.util.BitSet();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length() && "*?\\".indexOf(value.charAt(i + 1)) >= 0) {
                literals.set(chars.length());
                chars.append(value.charAt(++i));
            } else {
                chars.append(c);
            }
        }
        boolean[] literal = new boolean[chars.length()];
        for (int i = 0; i < literal.length; i++) {
            literal[i] = literals.get(i);
        }
        return new Glob(chars.toString().toCharArray(), literal);
    }

    static String unescape(String value) {
        return new String(of(value).pattern);
    }

    /** Whether {@code text} (already lower-cased where the match is case-insensitive) matches the whole pattern. */
    boolean matches(String text) {
        int t = 0;
        int p = 0;
        int starP = -1;
        int starT = 0;
        while (t < text.length()) {
            if (p < pattern.length && !literal[p] && pattern[p] == '*') {
                starP = p++;
                starT = t;
            } else if (p < pattern.length && (pattern[p] == text.charAt(t) || (!literal[p] && pattern[p] == '?'))) {
                p++;
                t++;
            } else if (starP >= 0) {
                p = starP + 1;
                t = ++starT;
            } else {
                return false;
            }
        }
        while (p < pattern.length && !literal[p] && pattern[p] == '*') {
            p++;
        }
        return p == pattern.length;
    }

    Glob lowerCase() {
        char[] lower = new String(pattern).toLowerCase(java.util.Locale.ROOT).toCharArray();
        return lower.length == pattern.length ? new Glob(lower, literal) : this;
    }
}
