// The table's live events (WS /api/events): one JSON object per message, reconnecting when dropped.

/**
 * Connect and call `onEvent(message)` for each event; `onState("open"|"closed")` on changes.
 * Returns a function that closes the connection for good.
 */
export function connectEvents(urlFor, onEvent, onState) {
  let socket = null;
  let stopped = false;
  let delay = 500;

  function open() {
    socket = new WebSocket(urlFor());
    socket.addEventListener("open", () => {
      delay = 500;
      onState("open");
    });
    socket.addEventListener("message", (e) => {
      let message;
      try {
        message = JSON.parse(e.data);
      } catch {
        return;
      }
      onEvent(message);
    });
    socket.addEventListener("close", (e) => {
      onState(e.code === 4401 ? "unauthorised" : "closed");
      if (stopped || e.code === 4401) return;
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    });
  }

  open();
  return () => {
    stopped = true;
    if (socket) socket.close();
  };
}
