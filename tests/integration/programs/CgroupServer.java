// A Java server on the dual-stack wildcard: new ServerSocket(port) binds [::]:port, one socket
// that takes IPv4 and IPv6 clients. Compiled with javac by the tests. Answers each client with
// "java uid=NAME" and serves until killed.
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

public class CgroupServer {
  public static void main(String[] args) throws Exception {
    try (ServerSocket server = new ServerSocket(Integer.parseInt(args[0]))) {
      System.out.println("bound " + server.getLocalSocketAddress());
      System.out.flush();
      byte[] line = ("java uid=" + System.getProperty("user.name") + "\n")
                        .getBytes(StandardCharsets.UTF_8);
      while (true) {
        try (Socket client = server.accept()) {
          OutputStream out = client.getOutputStream();
          out.write(line);
          out.flush();
        }
      }
    }
  }
}
