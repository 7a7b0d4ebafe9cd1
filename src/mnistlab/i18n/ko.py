"""한국어 메시지: `en.py`와 같은 키, 같은 자리표시자. 노트의 용어를 그대로 씁니다 (필터, 커널 사이즈,
스트라이드, 패딩, 활성화 함수, 에폭, 배치, 셔플, 시그모이드, 소프트맥스, 교차 엔트로피, 이진 교차 엔트로피, 메트릭)."""

MESSAGES: dict[str, str] = {
    # -- 낱말 -------------------------------------------------------------------------------------
    "word.class": "클래스",
    "word.true": "정답 클래스",
    "word.target": "정답",
    "word.term": "항",
    "word.window": "윈도우",
    "word.kernel": "커널",
    "word.products": "곱",
    # -- explain loss ---------------------------------------------------------------------------
    "loss.test_image": "{dataset}의 테스트 이미지 #{index}",
    "loss.user_image": "{image}",
    "loss.label_guess": "(이 그림의 정답 클래스가 주어지지 않아 네트워크가 고른 {name}을(를) 정답으로 씁니다; --label로 지정하세요)",
    "loss.true_class": "정답 클래스: {name} (인덱스 {index})",
    "loss.softmax_formula": "소프트맥스: p_k = exp(z_k) / sum_j exp(z_j); 확률의 합은 1",
    "loss.softmax_true": "p(정답) = exp({logit} - {max}) / {sum} = {p}   (가장 큰 로짓을 빼서 exp가 넘치지 않게 합니다)",
    "loss.cross_entropy": "교차 엔트로피 = -log p(정답) = -log({p}) = {loss}",
    "loss.sigmoid_formula": "시그모이드: p_k = 1 / (1 + exp(-z_k)), 클래스마다 따로 묻는 예/아니오 질문 (합이 1일 필요 없음)",
    "loss.binary_cross_entropy": "이진 교차 엔트로피 = {n}개 항의 합 = {loss}",
    "loss.binary_why": "({n}개 클래스가 모두 자기 항을 더하므로, 정답 클래스만 보는 교차 엔트로피보다 큽니다)",
    # -- explain conv ---------------------------------------------------------------------------
    "conv.head": "레이어 {layer} conv2d, 필터 {filter}, 출력 위치 행 {row}, 열 {col} ({shape} 중)",
    "conv.settings": "커널 사이즈 {kh}x{kw}, 스트라이드 {sh}x{sw}, 패딩 {padding}: 0 패딩 위 {top}, 아래 {bottom}, "
                     "왼쪽 {left}, 오른쪽 {right}",
    "conv.window": "입력의 행 {r0}..{r1}, 열 {c0}..{c1}을 읽습니다  (행 {row} x 스트라이드 {sh} - {top}, "
                   "열 {col} x 스트라이드 {sw} - {left}); · = 0 패딩 칸",
    "conv.normalised": "(입력은 정규화된 이미지입니다: (픽셀 / 255 - 평균) / 표준편차, 네트워크가 보는 그대로)",
    "conv.channel": "입력 채널 {c}:",
    "conv.many_channels": "입력 채널 {n}개: 채널마다 커널이 따로 있습니다; 채널별 윈도우 x 커널의 합 "
                          "(모든 숫자는 --json에):",
    "conv.sum": "{n}개 곱의 합 = {total}; + 편향 {bias} = {value}",
    "conv.sum_no_bias": "{n}개 곱의 합 = {value} (편향 없음: use_bias = false, 배치 정규화가 베타를 더합니다)",
    "conv.check": "네트워크의 특징 맵에서 그 자리의 값: {value}",
    "conv.batchnorm": "레이어 {layer} 배치 정규화: ({x} - 평균 {mean}) / sqrt(분산 {var} + {eps}) x 감마 {gamma} "
                      "+ 베타 {beta} = {value}",
    "conv.activation": "레이어 {layer} 활성화 함수 {activation}: {activation}({x}) = {value}",
    "conv.unchanged": "레이어 {layer} {type}: {value} (예측할 때는 그대로)",
    # -- explain padding / strides --------------------------------------------------------------
    "padding.head": "입력 {size}픽셀, 커널 사이즈 {kernel}, 스트라이드 {strides}:",
    "padding.valid": "VALID (패딩 없음):  출력 {arithmetic}",
    "padding.valid_none": "VALID (패딩 없음):  {arithmetic}: 출력 없음, {kernel}픽셀 커널이 들어가지 않습니다",
    "padding.same": "SAME (0 패딩):      출력 {arithmetic}",
    "padding.same_total": "SAME 패딩 = (출력 - 1) x 스트라이드 + 커널 사이즈 - 입력 = ({out} - 1) x {strides} + {kernel} - "
                          "{size} = {total}칸 (0보다 작으면 0): 앞(위/왼쪽) {before}, 뒤(아래/오른쪽) {after}",
    "padding.odd": "합이 홀수입니다: TensorFlow는 남는 0 한 칸을 아래/오른쪽에 두고, mnistlab도 그렇게 합니다 "
                   "(PyTorch의 padding='same'은 스트라이드 1만 받습니다)",
    "padding.wrote": "{path} 저장",
    "padding.title": "입력 {size}, 커널 사이즈 {kernel}, 스트라이드 {strides}",
    "padding.panel_valid": "VALID, 패딩 없음: 한 변의 출력 {arithmetic}",
    "padding.panel_same": "SAME: 한 변의 출력 {arithmetic}; 0 패딩 위/왼쪽 {before}, 아래/오른쪽 {after}",
    "padding.legend_input": "입력 픽셀",
    "padding.legend_zero": "0 패딩",
    "padding.legend_window": "출력 (행, 열)의 커널 윈도우: 첫째, 다음, 마지막",
}
