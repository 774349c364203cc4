/* CAN frames as text in can-utils' notation, the one of cansend and of
 * candump -L logs (canframe.c): can-read reads it in logs, can-send on its
 * command line.
 *
 *   123#DEADBEEF         classic, 11-bit id (3 hex digits)
 *   0CF004FE#11.22.33    29-bit id (8 digits), '.' between bytes allowed
 *   123#R  123#R4        remote request, with its DLC (R8_E: a raw DLC)
 *   123##1DEADBEEF       CAN FD: '##', a flags nibble (1 BRS, 2 ESI), data
 *   20000004#0004...     error frame (CAN_ERR_FLAG in an 8-digit id)
 *   123#1122334455667788_E   classic with a raw DLC 9..F (len8_dlc)
 *
 * Pure: no I/O, no allocation. */
#ifndef PLX_CANFRAME_H
#define PLX_CANFRAME_H
#include <stddef.h>
#include <stdint.h>
#include <linux/can.h>

/* The value of a hex digit, or -1. */
int canframe_xdigit(int c);
/* A frame at *pp (before e) into *f (struct can_frame's layout in its
 * first 16 bytes when classic: len8_dlc in __res1), *fd 1 for CAN FD; *pp
 * moved past it.  0, or -1 with why in err. */
int canframe_scan(const char **pp, const char *e, struct canfd_frame *f, int *fd, char *err, size_t errlen);
/* The whole string s is one frame: 0, or -1 with why. */
int canframe_parse(const char *s, struct canfd_frame *f, int *fd, char *err, size_t errlen);
/* The frame in that notation (a buffer of CANFRAME_TEXT_MAX bytes holds
 * any); what canframe_parse reads back as the same frame. */
#define CANFRAME_TEXT_MAX (8 + 3 + 2 * CANFD_MAX_DLEN + 4)
const char *canframe_format(const struct canfd_frame *f, int fd, char *buf, size_t len);

#endif
