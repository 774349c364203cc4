/* libFuzzer target: mqtt-read's zigbee2mqtt payloads (mqtt_fuzz.h says what is checked). */
#define FORMAT "zigbee2mqtt"
#include "mqtt_fuzz.h"
