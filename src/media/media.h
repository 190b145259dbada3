/*
 * media/media.h -- SDP media policy and the rtpengine media anchor.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef CENTINELA_MEDIA_MEDIA_H
#define CENTINELA_MEDIA_MEDIA_H

#endif /* CENTINELA_MEDIA_MEDIA_H */
