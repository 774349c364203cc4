/* libFuzzer target: mqtt-read's chirpstack payloads (mqtt_fuzz.h says what is checked). */
#define FORMAT "chirpstack"
#include "mqtt_fuzz.h"
