package dev.sekisho.common.text;

import java.util.Arrays;
import java.util.stream.Collectors;

/** CSV for evidence exports (the audit log, review campaigns): RFC 4180 quoting, and no cell a spreadsheet would run. */
public final class Csv {

    private Csv() {
    }

    /** One line: the cells quoted as needed, joined by commas, ending in a newline. */
    public static String row(String... cells) {
        return Arrays.stream(cells).map(Csv::cell).collect(Collectors.joining(",")) + "\n";
    }

    /** RFC 4180 quoting, and a leading ' for cells a spreadsheet would run as a formula. */
    public static String cell(String value) {
        String v = value == null ? "" : value;
        if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0) {
            v = "'" + v;
        }
        return v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r") || v.startsWith("'")
                ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }
}
