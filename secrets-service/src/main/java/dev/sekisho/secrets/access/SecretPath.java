package dev.sekisho.secrets.access;

import java.util.regex.Pattern;

/**
 * A secret's path in its one canonical form, checked once where it enters: lowercase ASCII segments of letters,
 * digits, '.', '_' and '-', each starting with a letter or digit, separated by single '/'. Anything else is refused,
 * not repaired: no "..", no encoded or doubled slashes, no case or Unicode look-alikes, so two spellings never name
 * one secret and a policy prefix means what it says.
 */
public final class SecretPath {

    public static final int MAX_LENGTH = 256;
    public static final int MAX_SEGMENTS = 16;
    private static final Pattern SEGMENT = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private SecretPath() {
    }

    /** The path if it is canonical; otherwise IllegalArgumentException with a reason that does not quote it. */
    public static String canonical(String raw) {
        String why = problem(raw, false);
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
        return raw;
    }

    /** A prefix to list under: canonical segments, optionally ending in '/'; empty means everything. */
    public static String prefix(String raw) {
        if (raw == null || raw.isEmpty()) {
            return "";
        }
        String why = problem(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw, false);
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
        return raw;
    }

    static String problem(String raw, boolean allowEmpty) {
        if (raw == null || raw.isEmpty()) {
            return allowEmpty ? null : "the path is empty";
        }
        if (raw.length() > MAX_LENGTH) {
            return "the path is longer than " + MAX_LENGTH + " characters";
        }
        if (raw.indexOf('%') >= 0) {
            return "the path contains an encoded character";
        }
        String[] segments = raw.split("/", -1);
        if (segments.length > MAX_SEGMENTS) {
            return "the path has more than " + MAX_SEGMENTS + " segments";
        }
        for (String segment : segments) {
            if (segment.isEmpty()) {
                return "the path has an empty segment (a leading, trailing or doubled '/')";
            }
            if (!SEGMENT.matcher(segment).matches()) {
                return "a path segment must be lowercase letters, digits, '.', '_' or '-' (starting with a letter or digit, at most 64)";
            }
        }
        return null;
    }
}
