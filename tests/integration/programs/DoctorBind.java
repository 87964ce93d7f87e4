// Binds 127.0.0.1:PORT (a reserved port in the tests), says "listening", and answers every
// client with "hello from java" until it is killed.
public class DoctorBind {
  public static void main(String[] args) throws Exception {
    try (var server = new java.net.ServerSocket()) {
      server.bind(new java.net.InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])));
      System.out.println("listening");
      System.out.flush();
      while (true) {
        try (var client = server.accept()) {
          client.getOutputStream().write("hello from java\n".getBytes());
        }
      }
    }
  }
}
