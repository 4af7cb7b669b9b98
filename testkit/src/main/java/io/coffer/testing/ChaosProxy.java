package io.coffer.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy that fails on purpose: after a given number of bytes forwarded (either way) it cuts
 * every connection and refuses new ones, as a network partition or a crashed server would, until
 * {@link #heal()}.
 */
public final class ChaosProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int targetPort;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final AtomicLong sent = new AtomicLong();
  private volatile long cutAfter = Long.MAX_VALUE;
  private volatile boolean down;

  public ChaosProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "chaos-proxy");
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Cuts everything once this many more bytes went through, either way. */
  public void cutAfter(long bytes) {
    sent.set(0);
    cutAfter = bytes;
  }

  public void heal() {
    cutAfter = Long.MAX_VALUE;
    down = false;
  }

  public boolean isDown() {
    return down;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        if (down) {
          client.close();
          continue;
        }
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
        open.add(client);
        open.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        // closed, or the target refused: the client sees its connection end
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                  if (sent.addAndGet(n) > cutAfter) {
                    cut();
                    return;
                  }
                  out.write(buf, 0, n);
                }
              } catch (IOException e) {
                // one side went away
              } finally {
                close(from);
                close(to);
              }
            },
            "chaos-pump");
    t.setDaemon(true);
    t.start();
  }

  private void cut() {
    down = true;
    for (Socket s : open) close(s);
    open.clear();
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    cut();
  }
}
