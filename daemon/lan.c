/* lan.c -- the LAN sync server of cdsyncd; see lan.h. */
#include "lan.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <nanomsg/nn.h>
#include <nanomsg/reqrep.h>

#include "alloc.h"
#include "i18n.h"
#include "log.h"

#define POLL_MS 200		/* how soon a stop is seen */
#define SEND_MS 5000		/* a reply the device no longer waits for */

struct cdsd_lan {
	cdsync *db;
	int sock;
	pthread_t thread;
	atomic_int stop;
	atomic_ulong served, refused;
};

static void *
serve(void *arg)
{
	struct cdsd_lan *l = arg;

	while (!atomic_load(&l->stop)) {
		void *msg = NULL;
		uint8_t *reply = NULL;
		size_t len = 0;
		int n, rc;

		if ((n = nn_recv(l->sock, &msg, NN_MSG, 0)) < 0) {
			if (nn_errno() != ETIMEDOUT && nn_errno() != EAGAIN &&
			    nn_errno() != EINTR)
				cdsd_log(CDSD_WARN, _("LAN sync: %s"),
					 nn_strerror(nn_errno()));
			continue;
		}
		rc = cdsync_lan_answer(l->db, msg, (size_t)n, &reply, &len);
		nn_freemsg(msg);
		if (rc == CDSYNC_OK) {
			atomic_fetch_add(&l->served, 1);
			cdsd_log(CDSD_DEBUG, "%s", _("LAN sync: a device "
						     "synced"));
		} else {
			atomic_fetch_add(&l->refused, 1);
			cdsd_log(reply != NULL ? CDSD_WARN : CDSD_ERROR,
				 _("LAN sync: %s"), cdsync_errmsg(l->db));
		}
		/* no reply (out of memory, the store failing): the device
		 * times out and asks again; nothing was kept */
		if (reply != NULL && nn_send(l->sock, reply, len, 0) < 0)
			cdsd_log(CDSD_WARN, _("LAN sync: the answer did not go "
					      "out: %s"),
				 nn_strerror(nn_errno()));
		cdsync_free(reply);
	}
	return NULL;
}

int
cdsd_lan_start(const char *store_path, const struct cdsd_config *c,
	       cdsync_passphrase_fn pass, void *passctx, struct cdsd_lan **out,
	       char *err, size_t errlen)
{
	struct cdsd_lan *l;
	int t = POLL_MS, s = SEND_MS, max = 16 << 20;
	unsigned i;

	*out = NULL;
	if ((l = cds_calloc(1, sizeof *l)) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		return -1;
	}
	l->sock = -1;
	if (cdsync_open(store_path, 0, &l->db) != CDSYNC_OK) {
		snprintf(err, errlen, "%s", l->db ? cdsync_errmsg(l->db)
						  : _("out of memory"));
		goto fail;
	}
	cdsync_passphrase_cb(l->db, pass, passctx);
	if (cdsync_unlock(l->db, NULL) != CDSYNC_OK) {
		snprintf(err, errlen, "%s", cdsync_errmsg(l->db));
		goto fail;
	}
	if ((l->sock = nn_socket(AF_SP, NN_REP)) < 0 ||
	    nn_setsockopt(l->sock, NN_SOL_SOCKET, NN_RCVTIMEO, &t, sizeof t) <
		    0 ||
	    nn_setsockopt(l->sock, NN_SOL_SOCKET, NN_SNDTIMEO, &s, sizeof s) <
		    0 ||
	    nn_setsockopt(l->sock, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max,
			  sizeof max) < 0) {
		snprintf(err, errlen, _("LAN sync: %s"),
			 nn_strerror(nn_errno()));
		goto fail;
	}
	for (i = 0; i < c->nlan; i++)
		if (nn_bind(l->sock, c->lan[i]) < 0) {
			snprintf(err, errlen, _("lan = %s: cannot listen there: "
						"%s"),
				 c->lan[i], nn_strerror(nn_errno()));
			goto fail;
		}
	atomic_init(&l->stop, 0);
	if (pthread_create(&l->thread, NULL, serve, l) != 0) {
		snprintf(err, errlen, "%s", _("LAN sync: cannot start its "
					      "thread"));
		goto fail;
	}
	*out = l;
	return 0;
fail:
	if (l->sock >= 0)
		nn_close(l->sock);
	cdsync_close(l->db);
	cds_free(l);
	return -1;
}

void
cdsd_lan_stop(struct cdsd_lan **lp)
{
	struct cdsd_lan *l = *lp;

	if (l == NULL)
		return;
	atomic_store(&l->stop, 1);
	pthread_join(l->thread, NULL);
	nn_close(l->sock);
	cdsync_close(l->db);
	cds_free(l);
	*lp = NULL;
}

void
cdsd_lan_counts(const struct cdsd_lan *l, unsigned long *served,
		unsigned long *refused)
{
	*served = atomic_load(&((struct cdsd_lan *)l)->served);
	*refused = atomic_load(&((struct cdsd_lan *)l)->refused);
}
