/* A board made of variables, for the host unit tests of protocol.cpp. */
#ifndef FAKE_HAL_H
#define FAKE_HAL_H

#include <stdint.h>
#include <string>

struct FakeBoard {
    uint32_t now = 0;
    uint8_t tx_room = 63;
    std::string sent;          /* everything hal_write got */
    uint8_t level[22] = {};    /* digital input levels by physical pin */
    uint16_t analog[22] = {};
    int out[22] = {};          /* last output level / duty / angle / hz, -1 released */
    int pull[22] = {};
    int writes = 0;            /* number of output changes, to catch double execution */
    uint8_t pixels[180] = {};
    uint8_t pixel_count = 0;
    int32_t echo_us = -1;      /* what hal_dist_poll returns */
    int pings = 0;
    uint32_t id = 0x3FA29C01;
};
extern FakeBoard board;

#endif
