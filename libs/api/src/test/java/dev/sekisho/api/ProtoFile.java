package dev.sekisho.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A .proto file read just far enough to compare names and numbers: comments stripped, blocks by brace depth. */
record ProtoFile(String text) {

    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern FIELD = Pattern.compile(
            "^\\s*(?:repeated\\s+|optional\\s+)?(?:map<[^>]+>|[\\w.]+)\\s+(\\w+)\\s*=\\s*(\\d+)\\s*[;\\[]", Pattern.MULTILINE);
    private static final Pattern ENUM_VALUE = Pattern.compile("^\\s*(\\w+)\\s*=\\s*(\\d+)\\s*;", Pattern.MULTILINE);

    static ProtoFile read(Path path) throws IOException {
        String source = Files.readString(path).replaceAll("//[^\n]*", "");
        return new ProtoFile(source);
    }

    String packageName() {
        Matcher m = PACKAGE.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    /** Fields declared directly in a message (nested messages and enums excluded). */
    Map<String, Integer> fields(String message) {
        return numbered(directBody("message", message), FIELD);
    }

    Map<String, Integer> enumValues(String enumName) {
        return numbered(directBody("enum", enumName), ENUM_VALUE);
    }

    private static Map<String, Integer> numbered(String body, Pattern pattern) {
        Map<String, Integer> result = new LinkedHashMap<>();
        Matcher m = pattern.matcher(body);
        while (m.find()) {
            result.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return result;
    }

    /** The block's own lines: nested messages and enums left out, oneof members kept (they are the message's fields). */
    private String directBody(String kind, String name) {
        Matcher start = Pattern.compile("\\b" + kind + "\\s+" + name + "\\s*\\{").matcher(text);
        if (!start.find()) {
            throw new AssertionError(kind + " " + name + " not found");
        }
        StringBuilder own = new StringBuilder();
        java.util.ArrayDeque<Boolean> keep = new java.util.ArrayDeque<>(); // per open block: are its lines ours?
        keep.push(true);
        for (String line : text.substring(start.end()).split("\n")) {
            if (keep.isEmpty()) {
                break;
            }
            String trimmed = line.trim();
            if (trimmed.endsWith("{")) {
                keep.push(keep.peek() && trimmed.startsWith("oneof "));
            } else if (trimmed.startsWith("}")) {
                keep.pop();
            } else if (keep.peek()) {
                own.append(line).append('\n');
            }
        }
        return own.toString();
    }
}
