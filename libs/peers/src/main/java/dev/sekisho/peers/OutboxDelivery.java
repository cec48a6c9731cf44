package dev.sekisho.peers;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.Uni;

/**
 * Delivers one kind of outbox entry to the peer that owns it (audit events to audit-service, signals to
 * alert-service). A service declares one bean per kind; {@link Outbox} calls it until the peer acknowledges.
 * The peer must be idempotent on the entry's own id: an entry can be delivered twice after a crash.
 */
public interface OutboxDelivery {

    /** The stream name this delivery serves, e.g. {@code audit}. */
    String stream();

    Uni<Void> deliver(byte[] payload);

    /**
     * True when retrying cannot help (the peer rejected the entry itself): the entry moves to the dead-letter
     * stream instead of blocking the ones behind it.
     */
    default boolean rejected(Throwable failure) {
        return failure instanceof StatusRuntimeException e
                && (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT
                        || e.getStatus().getCode() == Status.Code.FAILED_PRECONDITION);
    }
}
