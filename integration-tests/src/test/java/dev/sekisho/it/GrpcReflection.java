package dev.sekisho.it;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.util.JsonFormat;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;

/**
 * Asks a gRPC port what grpcurl asks: the services its reflection service names ({@code grpcurl list}), and, for a
 * call, the method's messages, so that a request written as JSON is sent as grpcurl sends it ({@code grpcurl -d}).
 */
final class GrpcReflection {

    private GrpcReflection() {
    }

    /**
     * Calls {@code service/method} as grpcurl would: the method's descriptors from the server's reflection, the request
     * parsed from JSON, the answer printed as JSON (as grpcurl prints it: JSON names, default values left out). A status other than OK
     * is thrown as {@link StatusRuntimeException}.
     */
    static String call(int port, String fullMethod, String requestJson, Map<String, String> headers) throws Exception {
        int slash = fullMethod.lastIndexOf('/');
        String serviceName = fullMethod.substring(0, slash);
        Metadata metadata = new Metadata();
        headers.forEach((k, v) -> metadata.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            Descriptors.MethodDescriptor method = describe(channel, serviceName).findMethodByName(fullMethod.substring(slash + 1));
            if (method == null) {
                throw new AssertionError("reflection names no method " + fullMethod);
            }
            DynamicMessage.Builder request = DynamicMessage.newBuilder(method.getInputType());
            JsonFormat.parser().merge(requestJson, request);
            MethodDescriptor<DynamicMessage, DynamicMessage> call = MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(fullMethod)
                    .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getInputType())))
                    .setResponseMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(method.getOutputType())))
                    .build();
            DynamicMessage answer = ClientCalls.blockingUnaryCall(
                    ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(metadata)), call,
                    CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), request.build());
            return JsonFormat.printer().print(answer);
        } finally {
            channel.shutdownNow();
        }
    }

    /** The service's descriptor, built from the file the reflection service names for it and that file's imports. */
    private static Descriptors.ServiceDescriptor describe(ManagedChannel channel, String serviceName) throws Exception {
        Map<String, DescriptorProtos.FileDescriptorProto> files = new HashMap<>();
        ServerReflectionResponse response = ask(channel, ServerReflectionRequest.newBuilder().setFileContainingSymbol(serviceName).build());
        if (response.hasErrorResponse()) {
            throw new AssertionError("reflection knows no " + serviceName + ": " + response.getErrorResponse().getErrorMessage());
        }
        String first = null;
        for (com.google.protobuf.ByteString bytes : response.getFileDescriptorResponse().getFileDescriptorProtoList()) {
            DescriptorProtos.FileDescriptorProto file = DescriptorProtos.FileDescriptorProto.parseFrom(bytes);
            files.put(file.getName(), file);
            first = first == null ? file.getName() : first;
        }
        Descriptors.FileDescriptor file = build(first, files, new HashMap<>());
        Descriptors.ServiceDescriptor service = file.findServiceByName(serviceName.substring(serviceName.lastIndexOf('.') + 1));
        if (service == null) {
            throw new AssertionError(first + " holds no service " + serviceName);
        }
        return service;
    }

    private static Descriptors.FileDescriptor build(String name, Map<String, DescriptorProtos.FileDescriptorProto> files,
            Map<String, Descriptors.FileDescriptor> built) throws Descriptors.DescriptorValidationException {
        Descriptors.FileDescriptor done = built.get(name);
        if (done != null) {
            return done;
        }
        DescriptorProtos.FileDescriptorProto proto = files.get(name);
        if (proto == null) {
            throw new AssertionError("reflection did not send " + name);
        }
        List<Descriptors.FileDescriptor> dependencies = new ArrayList<>();
        for (String dependency : proto.getDependencyList()) {
            dependencies.add(build(dependency, files, built));
        }
        Descriptors.FileDescriptor file = Descriptors.FileDescriptor.buildFrom(proto, dependencies.toArray(Descriptors.FileDescriptor[]::new));
        built.put(name, file);
        return file;
    }

    /** One question on the reflection stream, and its answer. */
    private static ServerReflectionResponse ask(ManagedChannel channel, ServerReflectionRequest question) throws Exception {
        java.util.concurrent.CompletableFuture<ServerReflectionResponse> answer = new java.util.concurrent.CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(new StreamObserver<>() {
            @Override
            public void onNext(ServerReflectionResponse response) {
                answer.complete(response);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                answer.completeExceptionally(new AssertionError("the reflection stream ended without an answer"));
            }
        });
        requests.onNext(question);
        requests.onCompleted();
        return answer.get(30, TimeUnit.SECONDS);
    }

    /** The service names, or a {@link StatusRuntimeException} with the status the port answered (UNIMPLEMENTED: no reflection). */
    static List<String> listServices(int port) throws InterruptedException {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            List<String> names = new ArrayList<>();
            CountDownLatch done = new CountDownLatch(1);
            Throwable[] failure = new Throwable[1];
            StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                    .serverReflectionInfo(new StreamObserver<>() {
                        @Override
                        public void onNext(ServerReflectionResponse response) {
                            response.getListServicesResponse().getServiceList().stream()
                                    .map(ServiceResponse::getName).forEach(names::add);
                        }

                        @Override
                        public void onError(Throwable t) {
                            failure[0] = t;
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            done.countDown();
                        }
                    });
            requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
            requests.onCompleted();
            if (!done.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("no reflection answer within 30 s");
            }
            if (failure[0] != null) {
                throw failure[0] instanceof StatusRuntimeException status ? status : Status.fromThrowable(failure[0]).asRuntimeException();
            }
            return names;
        } finally {
            channel.shutdownNow();
        }
    }
}
