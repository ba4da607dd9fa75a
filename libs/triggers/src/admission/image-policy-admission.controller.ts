import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { decodeObjectBody, setRequestLabels } from '@app/http';
import type { FastifyRequest } from 'fastify';
import { admissionReviewAnswer, parseAdmissionReview } from './admission-review';
import { ImagePolicyAdmission } from './image-policy-admission';
import { parseImageReview } from './image-review';

/**
 * `POST /admission/image-policy`: the URL a MutatingWebhookConfiguration points at (not a
 * ValidatingWebhookConfiguration: kube-apiserver fails a validating webhook's v1 answer that
 * carries a patch, VerifyAdmissionResponse). Answers 200 with the
 * AdmissionReview (same apiVersion, v1 or v1beta1) whose response echoes the request's uid; a body
 * that is not an AdmissionReview is a 400 Status. Nothing is written, so dryRun changes nothing.
 */
@Controller('admission')
export class ImagePolicyAdmissionController {
  constructor(@Inject(ImagePolicyAdmission) private readonly admission: ImagePolicyAdmission) {}

  @Post('image-policy')
  @HttpCode(200)
  async review(@Req() req: FastifyRequest<{ Body: Buffer | undefined }>): Promise<object> {
    setRequestLabels(req, { verb: 'create', resource: 'admission/image-policy' });
    const { apiVersion, request } = parseAdmissionReview(decodeObjectBody(req.headers['content-type'], req.body));
    const response = await this.admission.review(request);
    return admissionReviewAnswer(apiVersion, { uid: request.uid, ...response });
  }

  /**
   * `POST /admission/image-review`: the backend of kube-apiserver's ImagePolicyWebhook admission
   * plugin (imagepolicy.k8s.io/v1alpha1 ImageReview): may a pod in spec.namespace run these
   * images? `status.allowed` false, with the refused images in `reason`, when the execution rule
   * refuses one (see review above); the review comes back with its status.
   */
  @Post('image-review')
  @HttpCode(200)
  async imageReview(@Req() req: FastifyRequest<{ Body: Buffer | undefined }>): Promise<object> {
    setRequestLabels(req, { verb: 'create', resource: 'admission/image-review' });
    const review = parseImageReview(decodeObjectBody(req.headers['content-type'], req.body));
    const images = review.spec.containers.map((c) => c.image).filter((image) => image !== '');
    const prohibited = await this.admission.prohibitedImages(review.spec.namespace, images);
    const status = prohibited.length === 0 ? { allowed: true } : { allowed: false, reason: prohibited.map((image) => `image ${image} is prohibited by policy`).join('; ') };
    return { ...review, status };
  }
}
