// The doctor oracle's probe, in Java (run as a single source file): the same protocol as
// oracle_bind.c.
public class OracleBind {
  public static void main(String[] args) throws Exception {
    System.out.println("started");
    try (var s = new java.net.ServerSocket()) {
      s.bind(new java.net.InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])));
    } catch (java.io.IOException e) {
      System.out.println("bind: " + e.getMessage());
      System.exit(3);
    }
    System.out.println("bound");
  }
}
