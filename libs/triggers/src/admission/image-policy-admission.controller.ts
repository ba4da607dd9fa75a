import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { decodeObjectBody, setRequestLabels } from '@app/http';
import type { FastifyRequest } from 'fastify';
import { admissionReviewAnswer, parseAdmissionReview } from './admission-review';
import { ImagePolicyAdmission } from './image-policy-admission';

/**
 * `POST /admission/image-policy`: the URL a MutatingWebhookConfiguration (or
 * ValidatingWebhookConfiguration, which ignores the patch) points at. Answers 200 with the
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
}
