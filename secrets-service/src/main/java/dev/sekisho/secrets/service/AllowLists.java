package dev.sekisho.secrets.service;

import java.util.List;

import dev.sekisho.common.net.Cidr;
import dev.sekisho.common.problem.ProblemException;

/** The IP allow-lists of secrets and API keys: at most 32 IPv4/IPv6 blocks; empty allows every address. */
final class AllowLists {

    static final int MAX_BLOCKS = 32;

    private AllowLists() {
    }

    /** Refuses a list that is too long or holds something that is not a block, without quoting it. */
    static void validate(List<String> blocks) {
        if (blocks == null) {
            return;
        }
        if (blocks.size() > MAX_BLOCKS) {
            throw ProblemException.badRequest("allowedCidrs holds at most " + MAX_BLOCKS + " blocks");
        }
        for (String block : blocks) {
            try {
                Cidr.parse(block == null ? "" : block);
            } catch (IllegalArgumentException e) {
                throw ProblemException.badRequest("allowedCidrs must be IP addresses or blocks such as 203.0.113.0/24");
            }
        }
    }

    static boolean permits(List<String> blocks, String address) {
        return blocks.isEmpty() || blocks.stream().map(Cidr::parse).anyMatch(c -> c.contains(address));
    }
}
