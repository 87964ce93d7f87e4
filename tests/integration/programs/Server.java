// A Java server the way most are written: new ServerSocket(port) binds the dual-stack wildcard.
// Run with the JDK's source launcher: java Server.java PORT. Answers each client with one line.
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

public class Server {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    try (ServerSocket server = new ServerSocket(port)) {
      System.out.println("bound " + server.getLocalSocketAddress());
      System.out.flush();
      while (true) {
        try (Socket client = server.accept()) {
          OutputStream out = client.getOutputStream();
          out.write("hello from java\n".getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      }
    }
  }
}
