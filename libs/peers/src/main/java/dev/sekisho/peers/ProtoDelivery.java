package dev.sekisho.peers;

import java.util.ArrayList;
import java.util.List;

import java.util.function.Function;

import jakarta.inject.Inject;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;

import dev.sekisho.common.tracing.Steps;
import dev.sekisho.common.tracing.TraceOrigin;
import io.grpc.Status;
import io.smallrye.mutiny.Uni;

/**
 * An {@link OutboxDelivery} of protobuf messages: parses the stored bytes and hands the message to a peer call.
 * Each attempt is a span {@code outbox deliver <stream>}, a child of the span that recorded the message (its
 * {@link TraceOrigin}), so the peer call and the peer's own work on it appear in the trace of the act that produced it,
 * seconds later if the peer was down, one span per attempt. Children rather than links: a user follows one login, one
 * trace, from the gateway to the audit log; a link would leave the record's storing in a trace of its own.
 */
public abstract class ProtoDelivery<M extends Message> implements OutboxDelivery {

    private final String stream;
    private final Parser<M> parser;
    private final Function<M, TraceOrigin> origin;

    @Inject
    Steps steps;

    protected ProtoDelivery(String stream, Parser<M> parser, Function<M, TraceOrigin> origin) {
        this.stream = stream;
        this.parser = parser;
        this.origin = origin;
    }

    /** The peer call; it completes when the peer acknowledged the message. */
    protected abstract Uni<?> send(M message);

    @Override
    public String stream() {
        return stream;
    }

    /** Up to {@code max} messages still waiting in {@code outbox} for this peer, oldest first (for operators and tests). */
    public Uni<List<M>> waiting(Outbox outbox, int max) {
        return outbox.waiting(stream, max).map(entries -> {
            List<M> messages = new ArrayList<>(entries.size());
            for (byte[] entry : entries) {
                try {
                    messages.add(parser.parseFrom(entry));
                } catch (InvalidProtocolBufferException e) {
                    // unreadable: dead-lettered by the next relay pass, not a waiting message
                }
            }
            return messages;
        });
    }

    /** The peer could not be reached (down, not yet started, or its connection failed). */
    public static boolean unavailable(Throwable failure) {
        return failure instanceof io.grpc.StatusRuntimeException e && e.getStatus().getCode() == Status.Code.UNAVAILABLE;
    }

    /**
     * A peer that was down (or not yet started) is dialled again at the next attempt, not after grpc-java's reconnect
     * backoff, which grows to two minutes: the outbox's own poll interval paces the retries.
     */
    public static void reconnectNow(io.grpc.Channel channel) {
        if (channel instanceof io.grpc.ManagedChannel managed) {
            managed.resetConnectBackoff();
        }
    }

    @Override
    public Uni<Void> deliver(byte[] payload) {
        M message;
        try {
            message = parser.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            return Uni.createFrom().failure(Status.INVALID_ARGUMENT.withDescription("unreadable " + stream + " entry")
                    .asRuntimeException());
        }
        TraceOrigin from = origin.apply(message);
        if (!from.traced()) {
            return send(message).replaceWithVoid();
        }
        return steps.traced("outbox deliver " + stream, from.parent(), () -> send(message)).replaceWithVoid();
    }
}
