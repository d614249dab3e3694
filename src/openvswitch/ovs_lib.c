/* See ovs_lib.h. OVS convention: config.h comes first. */
#include <config.h>

#include "ovs_lib.h"

#include <signal.h>
#include <string.h>

#include "fatal-signal.h"
#include "openvswitch/vlog.h"
#include "socket-util.h"
#include "stream-ssl.h"

void vtap_ovs_init(void)
{
    static const int signals[] = { SIGTERM, SIGINT, SIGHUP, SIGALRM };
    struct sigaction saved[sizeof signals / sizeof signals[0]];
    size_t i;

    for (i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], NULL, &saved[i]);
    }
    fatal_signal_init();
    for (i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], &saved[i], NULL);
    }
    vlog_set_levels(NULL, VLF_SYSLOG, VLL_OFF);
    vlog_set_levels(NULL, VLF_FILE, VLL_OFF);
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_ERR);
}

uint8_t vtap_ovs_default_dscp(void)
{
    return (uint8_t) DSCP_DEFAULT;
}

void vtap_ovs_set_ssl(const char *private_key, const char *certificate, const char *ca_certificate)
{
    if (private_key[0] && certificate[0]) {
        stream_ssl_set_key_and_cert(private_key, certificate);
    }
    if (ca_certificate[0]) {
        stream_ssl_set_ca_cert_file(ca_certificate, false);
    }
}
