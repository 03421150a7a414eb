/* museokit serial line protocol v1 (firmware/PROTOCOL.md): line framing, checksum, command
 * parsing, pin roles and event reporting. Plain C++ over hal.h, free of Arduino.h, so the
 * host tests compile it with g++.
 */
#ifndef MUSEOKIT_PROTOCOL_H
#define MUSEOKIT_PROTOCOL_H

#include <stdint.h>

#define MK_PROTOCOL 1
#define MK_LINE_MAX 128   /* bytes per line, checksum and '\n' included */
#define MK_SLOTS 16       /* pin roles */
#define MK_QUEUE 8        /* events waiting for room in the transmit buffer */
#define MK_PIXELS 60      /* pixels of the one strip */
#define MK_PX_COLOURS 15  /* colours per `px` line: the longest (seq 65535, pin D13, index 255,
                             checksum) is 125 bytes; 16 would be 132, over MK_LINE_MAX */
#define MK_SERVOS 4

struct MkStats {
    uint32_t lines, badsum, overlong, junk, lost;
};
extern MkStats mk_stats;

/* XOR of n bytes: the `*HH` checksum. */
uint8_t mk_checksum(const char *s, uint8_t n);
/* Reset all protocol state, load the board id and send the boot greeting (n = 0). */
void mk_begin();
/* One byte from the host. A complete line is executed and answered before this returns. */
void mk_feed(uint8_t c);
/* Read inputs that are due, send queued events and heartbeats while the link has room. */
void mk_poll();

#endif
