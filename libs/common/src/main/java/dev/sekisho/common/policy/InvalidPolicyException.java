package dev.sekisho.common.policy;

/** Why a set of policy files was refused: the file, the line (0 when unknown) and the reason. */
public final class InvalidPolicyException extends Exception {

    private final String file;
    private final int line;

    public InvalidPolicyException(String file, int line, String reason) {
        super(file + (line > 0 ? ":" + line : "") + ": " + reason, null, false, false);
        this.file = file;
        this.line = line;
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }
}
