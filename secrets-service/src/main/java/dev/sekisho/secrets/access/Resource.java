package dev.sekisho.secrets.access;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a rule's paths name: secrets (paths), transit keys (key names) or token namespaces. Each has its own
 * capabilities; a rule naming one that does not apply is refused when the file loads.
 */
public enum Resource {
    SECRETS(EnumSet.of(Capability.READ, Capability.WRITE, Capability.LIST, Capability.DELETE, Capability.ADMIN)),
    TRANSIT(EnumSet.of(Capability.ENCRYPT, Capability.DECRYPT, Capability.REWRAP, Capability.DATAKEY, Capability.HMAC, Capability.LIST,
            Capability.ADMIN)),
    TOKENS(EnumSet.of(Capability.TOKENIZE, Capability.DETOKENIZE, Capability.ADMIN));

    private final Set<Capability> capabilities;

    Resource(Set<Capability> capabilities) {
        this.capabilities = capabilities;
    }

    public static Resource parse(String text) {
        if (text == null) {
            return SECRETS;
        }
        try {
            return valueOf(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown resource '" + text + "' (secrets, transit, tokens)");
        }
    }

    /** The capability, if it applies here; otherwise IllegalArgumentException naming the ones that do. */
    public Capability capability(String text) {
        Capability capability = Capability.parse(text);
        if (!capabilities.contains(capability)) {
            throw new IllegalArgumentException("capability '" + capability.label() + "' does not apply to " + label() + " ("
                    + capabilities.stream().map(Capability::label).collect(Collectors.joining(", ")) + ")");
        }
        return capability;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
