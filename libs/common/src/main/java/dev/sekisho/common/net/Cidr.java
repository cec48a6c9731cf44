package dev.sekisho.common.net;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An address block such as 10.0.0.0/8, fd00::/8 or a single address; parsed and matched without any name lookup. */
public record Cidr(byte[] network, int prefix) {

    /** Parses a block; IllegalArgumentException names what is wrong (the text is the operator's own configuration). */
    public static Cidr parse(String text) {
        String[] parts = text.strip().split("/", 2);
        byte[] address = literal(parts[0]);
        if (address == null) {
            throw new IllegalArgumentException("not an address: " + text);
        }
        int prefix;
        try {
            prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : address.length * 8;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix in " + text);
        }
        if (prefix < 0 || prefix > address.length * 8) {
            throw new IllegalArgumentException("bad prefix in " + text);
        }
        return new Cidr(address, prefix);
    }

    public boolean contains(String text) {
        byte[] address = literal(text);
        if (address == null || address.length != network.length) {
            return false;
        }
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** An IPv4 dotted quad or an IPv6 literal: never a name, so parsing it never triggers a DNS lookup. */
    public static boolean isLiteralAddress(String text) {
        if (text == null || text.isEmpty() || text.length() > 45) {
            return false;
        }
        if (text.indexOf(':') >= 0) {
            return text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':');
        }
        return text.chars().allMatch(c -> Character.isDigit(c) || c == '.') && text.chars().filter(c -> c == '.').count() == 3;
    }

    /** Parses an IP literal without any name lookup; null for anything else. */
    static byte[] literal(String text) {
        if (text == null || !isLiteralAddress(text.trim())) {
            return null;
        }
        try {
            return InetAddress.getByName(text.trim()).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
