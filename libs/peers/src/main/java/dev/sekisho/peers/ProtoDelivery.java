package dev.sekisho.peers;

import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;

import io.grpc.Status;
import io.smallrye.mutiny.Uni;

/** An {@link OutboxDelivery} of protobuf messages: parses the stored bytes and hands the message to a peer call. */
public abstract class ProtoDelivery<M extends Message> implements OutboxDelivery {

    private final String stream;
    private final Parser<M> parser;

    protected ProtoDelivery(String stream, Parser<M> parser) {
        this.stream = stream;
        this.parser = parser;
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

    static boolean unavailable(Throwable failure) {
        return failure instanceof io.grpc.StatusRuntimeException e && e.getStatus().getCode() == Status.Code.UNAVAILABLE;
    }

    /**
     * A peer that was down (or not yet started) is dialled again at the next attempt, not after grpc-java's reconnect
     * backoff, which grows to two minutes: the outbox's own poll interval paces the retries.
     */
    static void reconnectNow(io.grpc.Channel channel) {
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
        return send(message).replaceWithVoid();
    }
}
